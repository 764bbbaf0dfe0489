namespace SocialChat.Data.Messages;

/// <summary>The contract's <c>Message</c>; a deleted one is a tombstone: <c>body</c> null, <c>deletedAt</c> set.</summary>
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
    DateTime? DeletedAt)
{
    public static MessageResponse From(Message message) => new(
        message.Id, message.ConversationId, message.Seq, message.SenderId, message.ClientMessageId,
        message.Body, message.ReplyToSeq, message.CreatedAt, message.EditedAt, message.DeletedAt);
}

public sealed record SendMessageRequest(Guid ClientMessageId, string? Body, long? ReplyToSeq);

public sealed record EditMessageRequest(string? Body);

/// <summary>Seq is nullable only so that a body without it is a 400 rather than a read marker moved to 0.</summary>
public sealed record MarkReadRequest(long? Seq);

/// <summary>What a send answers: the message, and whether this call created it or found it (idempotent retry).</summary>
public sealed record SentMessage(MessageResponse Message, bool Created);
