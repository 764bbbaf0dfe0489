using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Messages;

/// <summary>
/// How <see cref="MessageCommitter"/> groups sends: the conversations are shared out among Committers (by id), and
/// each committer takes whatever sends to its conversations are waiting, up to MaxBatchSize, and stores them in one
/// transaction. Sends group while the committer's previous transaction is in flight, and while they come more often
/// than CommitLinger a small batch waits up to CommitLinger for more; a send after a quiet spell is committed at once.
/// </summary>
public sealed class MessageCommitOptions
{
    public const string SectionName = "Messages";

    [Range(1, 1_000)]
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>
    /// Transactions in flight at once in one process, each on a pooled connection of its own while it commits.
    /// Committers never share a conversation, so they do not wait on each other's row locks; more of them overlap
    /// more commits, but leave fewer sends per commit, so the same sends cost more commits' work. One did best for
    /// chat on this machine (BENCHMARKS.md: the ramp held 1,869–2,000 msg/s with one per process, 950–1,632 with two),
    /// and stores the most durable sends/s up to ~32 concurrent sends per process; two store more past ~100 (the commit
    /// scenario), and a database farther away than loopback, whose round trips leave its cores idle, may want more.
    /// </summary>
    [Range(1, 32)]
    public int Committers { get; set; } = 1;

    /// <summary>
    /// How long a committer may hold a small batch (fewer than 4 sends) for more, while its sends arrive more often than
    /// this (their gap, smoothed over the last several). A commit costs PostgreSQL far more than one more send in it, so
    /// sends that trickle in one per commit spend the database's CPU on commits (BENCHMARKS.md); but sends further apart
    /// than this would wait for company that does not come in time, so they, and a send after a quiet spell, are
    /// committed at once. Zero turns the wait off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100")]
    public TimeSpan CommitLinger { get; set; } = TimeSpan.FromMilliseconds(5);
}
