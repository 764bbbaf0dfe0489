using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Auth;

public sealed class JwtOptions
{
    public const string SectionName = "Jwt";

    [Required]
    public string Issuer { get; set; } = "socialchat";

    [Required]
    public string Audience { get; set; } = "socialchat-clients";

    /// <summary>HS256 key; at least 256 bits. The app host injects a generated one (parameter <c>jwt-signing-key</c>).</summary>
    [Required]
    [MinLength(32, ErrorMessage = "Jwt:SigningKey must be at least 32 characters (256 bits).")]
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>The contract allows at most 15 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:15:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sliding: every refresh moves the session's expiry this far ahead.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
}
