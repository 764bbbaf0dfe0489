using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SocialChat.Data.Auth;

/// <summary>
/// Refresh tokens that name their session and how many refreshes it had when they were issued, so that a session keeps
/// only its current token's hash and still knows every earlier token of its own as reuse. Rows per rotated token grew by
/// ~100 per active user a day. The 256 random bits are the secret: only their token's SHA-256 is stored. The signature
/// (a key derived from the JWT signing key) is what lets an earlier token be believed without a row: no one can make
/// one up to sign someone else's session out.
/// </summary>
public sealed class RefreshTokens(IOptions<JwtOptions> options)
{
    private const byte Format = 1;
    private const int SessionIdOffset = 1, RefreshesOffset = 17, SecretOffset = 21, SignatureOffset = 53;
    private const int SignatureLength = 16;
    private const int TokenLength = SignatureOffset + SignatureLength;

    private readonly byte[] _signingKey = HKDF.DeriveKey(
        HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(options.Value.SigningKey), HMACSHA256.HashSizeInBytes, info: "SocialChat refresh tokens"u8.ToArray());

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public string Issue(Guid sessionId, int refreshes)
    {
        Span<byte> token = stackalloc byte[TokenLength];
        token[0] = Format;
        sessionId.TryWriteBytes(token[SessionIdOffset..RefreshesOffset]);
        BinaryPrimitives.WriteInt32BigEndian(token[RefreshesOffset..SecretOffset], refreshes);
        RandomNumberGenerator.Fill(token[SecretOffset..SignatureOffset]);
        Sign(token[..SignatureOffset], token[SignatureOffset..]);
        return Base64Url.EncodeToString(token);
    }

    /// <summary>Reads a token this service issued, whatever became of its session since; false for anything else.</summary>
    public bool TryRead(string token, out Guid sessionId, out int refreshes)
    {
        (sessionId, refreshes) = (Guid.Empty, 0);
        Span<byte> bytes = stackalloc byte[TokenLength];
        if (token.Length != Base64Url.GetEncodedLength(TokenLength)
            || !Base64Url.TryDecodeFromChars(token, bytes, out var length) || length != TokenLength || bytes[0] != Format)
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[SignatureLength];
        Sign(bytes[..SignatureOffset], signature);
        if (!CryptographicOperations.FixedTimeEquals(signature, bytes[SignatureOffset..]))
        {
            return false;
        }

        sessionId = new Guid(bytes[SessionIdOffset..RefreshesOffset]);
        refreshes = BinaryPrimitives.ReadInt32BigEndian(bytes[RefreshesOffset..SecretOffset]);
        return true;
    }

    private void Sign(ReadOnlySpan<byte> content, Span<byte> signature)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_signingKey, content, mac);
        mac[..SignatureLength].CopyTo(signature);
    }
}
