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
}
