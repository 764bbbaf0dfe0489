using SocialChat.Data.Users;

namespace SocialChat.Data.Notifications;

/// <summary>The contract's <c>Notification</c>; ids that do not apply to its kind are null.</summary>
public sealed record NotificationResponse(
    Guid Id,
    NotificationKind Kind,
    UserResponse Actor,
    Guid? PostId,
    Guid? CommentId,
    Guid? ConversationId,
    DateTime CreatedAt,
    DateTime? ReadAt)
{
    public static NotificationResponse From(Notification notification, User actor) => new(
        notification.Id,
        notification.Kind,
        UserResponse.From(actor),
        notification.PostId,
        notification.CommentId,
        notification.ConversationId,
        notification.CreatedAt,
        notification.ReadAt);
}
