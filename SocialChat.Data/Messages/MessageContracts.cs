using System.Text.Json.Serialization;

namespace SocialChat.Data.Messages;

/// <summary>
/// The contract's <c>Message</c>; a deleted one is a tombstone: <c>body</c> null, <c>deletedAt</c> set. <c>revision</c>,
/// beyond the contract, is the conversation's revision at the message's last edit or deletion (0: never changed): of
/// two versions of one message, the one with the higher revision is the newer.
/// </summary>
public sealed record MessageResponse(
    Guid Id,
    Guid ConversationId,
    long Seq,
    Guid SenderId,
    Guid ClientMessageId,
    string? Body,
    long? ReplyToSeq,
    DateTime CreatedAt,
    DateTime? EditedAt,
    DateTime? DeletedAt,
    long Revision)
{
    public static MessageResponse From(Message message) => new(
        message.Id, message.ConversationId, message.Seq, message.SenderId, message.ClientMessageId,
        message.Body, message.ReplyToSeq, message.CreatedAt, message.EditedAt, message.DeletedAt, message.Revision);
}

/// <summary>
/// Which messages a history page reads: at most one of these is given (none: the newest). A page's nextCursor carries
/// the same, for where the next page continues; without its nulls, so that during a deploy a process of the previous
/// release, which refuses a field it does not know, continues a before/after cursor written by this one.
/// </summary>
public sealed record HistoryRange(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Before = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? After = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ChangedAfter = null)
{
    internal int Given => (Before is null ? 0 : 1) + (After is null ? 0 : 1) + (ChangedAfter is null ? 0 : 1);
}

public sealed record SendMessageRequest(Guid ClientMessageId, string? Body, long? ReplyToSeq);

public sealed record EditMessageRequest(string? Body);

/// <summary>Seq is nullable only so that a body without it is a 400 rather than a read marker moved to 0.</summary>
public sealed record MarkReadRequest(long? Seq);

/// <summary>What a send answers: the message, and whether this call created it or found it (idempotent retry).</summary>
public sealed record SentMessage(MessageResponse Message, bool Created);
