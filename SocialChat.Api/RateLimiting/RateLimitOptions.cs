using System.ComponentModel.DataAnnotations;

namespace SocialChat.Api.RateLimiting;

/// <summary>Request budgets per fixed window, shared by every Api instance through Redis.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Per user, for authenticated calls.</summary>
    [Range(1, 1_000_000)]
    public int AuthenticatedPermits { get; set; } = 600;

    /// <summary>Per client address, for anonymous calls other than the auth routes.</summary>
    [Range(1, 1_000_000)]
    public int AnonymousPermits { get; set; } = 120;

    /// <summary>Per client address, for register/login/refresh: stricter, they cost a password hash or a token.</summary>
    [Range(1, 1_000_000)]
    public int AuthPermits { get; set; } = 30;
}
