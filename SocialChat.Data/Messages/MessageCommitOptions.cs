using System.ComponentModel.DataAnnotations;

namespace SocialChat.Data.Messages;

/// <summary>
/// How <see cref="MessageCommitter"/> groups sends: every committer takes whatever sends are waiting, up to
/// MaxBatchSize, and stores them in one transaction. A lone send is committed at once; sends group while the
/// committers' previous transactions are in flight, so a bigger batch costs no waiting, only a longer transaction.
/// </summary>
public sealed class MessageCommitOptions
{
    public const string SectionName = "Messages";

    [Range(1, 1_000)]
    public int MaxBatchSize { get; set; } = 200;

    /// <summary>
    /// Transactions in flight at once in one process, each on a pooled connection of its own while it commits:
    /// more than one keeps a send from waiting a whole round trip chain behind a commit that is flushing, but
    /// every extra one leaves fewer sends per commit and holds one more of the pool's (and PgBouncer's) connections.
    /// </summary>
    [Range(1, 32)]
    public int Committers { get; set; } = 4;
}
