namespace SocialChat.Data.Notifications;

public sealed class Notification
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid RecipientId { get; init; }

    public NotificationKind Kind { get; init; }

    public Guid ActorId { get; init; }

    public Guid? PostId { get; init; }

    public Guid? CommentId { get; init; }

    public Guid? ConversationId { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public DateTime? ReadAt { get; set; }
}

public enum NotificationKind
{
    Follow,
    Like,
    Comment,
    Mention,
    Message,
}
