namespace SocialChat.Data.Messages;

public sealed class Message
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid ConversationId { get; init; }

    public long Seq { get; init; }

    public Guid SenderId { get; init; }

    public Guid ClientMessageId { get; init; }

    /// <summary>Null once deleted: the row stays as a tombstone so seq keeps no gaps.</summary>
    public string? Body { get; set; }

    public long? ReplyToSeq { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public DateTime? EditedAt { get; set; }

    public DateTime? DeletedAt { get; set; }

    /// <summary>
    /// The conversation's revision at this message's last edit or deletion (<see cref="Conversations.Conversation.LastRevision"/>);
    /// 0 while it was never changed. What a client that was away asks for with <c>changedAfter</c>.
    /// </summary>
    public long Revision { get; set; }
}
