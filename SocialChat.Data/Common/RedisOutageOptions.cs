using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Common;

/// <summary>
/// How long a call waits on Redis work it can do without before it goes on as if Redis were down: a live event
/// (clients catch up from history), a typing event, a presence event, the cached session check (PostgreSQL
/// answers instead), a shared rate-limit counter (the in-process window counts instead). The client's own
/// timeouts (<c>WithOutageTimeouts</c>, 5 s) stay long so a burst of hub connects, whose group and presence
/// writes cannot be dropped, is not failed by a slow moment; this bound is what holds a send or a typing call to
/// about a second while Redis hangs.
/// </summary>
public sealed class RedisOutageOptions
{
    public const string SectionName = "Redis";

    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan DroppableWorkTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
