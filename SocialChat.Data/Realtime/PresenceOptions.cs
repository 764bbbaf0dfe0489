using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Realtime;

/// <summary>
/// How fast a dead Realtime node's users read as offline: its heartbeat key expires after NodeTimeout and
/// the Worker's sweep runs every SweepInterval, so at most NodeTimeout + SweepInterval (40 s by default; the
/// contract allows 60 s).
/// </summary>
public sealed class PresenceOptions
{
    public const string SectionName = "Presence";

    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:30")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a node asks PostgreSQL which of its connections' sessions have ended (revoked or expired) and closes
    /// their connections: the backstop for a revocation whose announcement never reached the node (Redis away when it
    /// was made, or a connect still under way when it came).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan EndedSessionSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Live hub connections one user may hold across all nodes (devices, tabs).</summary>
    [Range(1, 1_000)]
    public int MaxConnectionsPerUser { get; set; } = 20;

    /// <summary>How many users one SubscribePresence or presence query may name.</summary>
    [Range(1, 10_000)]
    public int MaxUsersPerQuery { get; set; } = 500;

    /// <summary>How many users' PresenceChanged one hub connection may watch in all, over every SubscribePresence.</summary>
    [Range(1, 100_000)]
    public int MaxWatchedUsersPerConnection { get; set; } = 2_000;
}
