using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Social;

public sealed class SocialOptions
{
    public const string SectionName = "Social";

    /// <summary>A post written while its author has at least this many followers is not fanned out; it merges into feeds at read time for good.</summary>
    [Range(1, int.MaxValue)]
    public int PopularAuthorFollowerThreshold { get; set; } = 10_000;

    /// <summary>How many post ids a Redis timeline keeps; older pages are read from PostgreSQL.</summary>
    [Range(10, 100_000)]
    public int TimelineCapacity { get; set; } = 800;

    /// <summary>How often the Worker looks for fan-out work when it was not woken by a notification.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan FanOutPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
