namespace SocialChat.Data.Notifications;

/// <summary>Pushes a stored notification to the recipient's live connections (the realtime door implements it).</summary>
public interface INotificationPublisher
{
    Task PublishAsync(Guid recipientId, NotificationResponse notification, CancellationToken cancellationToken);
}
