using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Messages;

/// <summary>
/// How <see cref="MessageCommitter"/> groups sends: the conversations are shared out among Committers (by id), and
/// each committer takes whatever sends to its conversations are waiting, up to MaxBatchSize, and stores them in one
/// transaction. A lone send is committed at once; sends group while the committer's previous transaction is in
/// flight, so a bigger batch costs no waiting, only a longer transaction.
/// </summary>
public sealed class MessageCommitOptions
{
    public const string SectionName = "Messages";

    [Range(1, 1_000)]
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>
    /// Transactions in flight at once in one process, each on a pooled connection of its own while it commits.
    /// Committers never share a conversation, so they do not wait on each other's row locks; more of them overlap
    /// more round trips, but leave fewer sends per commit and hold more of the pool's (and PgBouncer's) connections.
    /// Two did best here (BENCHMARKS.md, the commit scenario: more durable sends/s than 1 or 4 with 128 callers, and
    /// than 4 with 32); a database with more cores or farther away may want more.
    /// </summary>
    [Range(1, 32)]
    public int Committers { get; set; } = 2;
}
