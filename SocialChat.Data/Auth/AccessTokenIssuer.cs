using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SocialChat.Data.Auth;

/// <summary>Signs access tokens: HS256, with exactly the claims of the contract (sub, sid, iss, aud, exp, iat, jti).</summary>
public sealed class AccessTokenIssuer(IOptions<JwtOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static SymmetricSecurityKey SigningKeyOf(JwtOptions options) => new(Encoding.UTF8.GetBytes(options.SigningKey));

    public (string Token, DateTime ExpiresAt) Issue(Guid userId, Guid sessionId)
    {
        var jwt = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var expiresAt = now + jwt.AccessTokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = jwt.Issuer,
            Audience = jwt.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expiresAt,
            Claims = new Dictionary<string, object>
            {
                [ClaimsPrincipalExtensions.UserIdClaim] = userId.ToString(),
                [ClaimsPrincipalExtensions.SessionIdClaim] = sessionId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
            },
            SigningCredentials = new SigningCredentials(SigningKeyOf(jwt), SecurityAlgorithms.HmacSha256),
        });
        return (token, expiresAt);
    }
}
