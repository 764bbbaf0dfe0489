using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SocialChat.Data.Auth;

/// <summary>Opaque refresh tokens: 256 random bits for the client, only their SHA-256 for the database.</summary>
public static class RefreshTokenSecret
{
    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
