using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Auth;

/// <summary>How often the Worker purges sign-in records that can no longer change an answer (<see cref="SessionRetention"/>).</summary>
public sealed class SessionRetentionOptions
{
    public const string SectionName = "SessionRetention";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows per DELETE: each holds its row locks only that long, and a purge far behind takes many.</summary>
    [Range(100, 100_000)]
    public int BatchSize { get; set; } = 10_000;
}
