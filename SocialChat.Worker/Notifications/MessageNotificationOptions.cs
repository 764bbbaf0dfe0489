using System.ComponentModel.DataAnnotations;

namespace SocialChat.Worker.Notifications;

/// <summary>How the Worker writes message notifications for members who are offline (<see cref="OfflineMemberNotifications"/>).</summary>
internal sealed class MessageNotificationOptions
{
    public const string SectionName = "MessageNotifications";

    /// <summary>How often the Worker takes the conversations with new messages: a message waits at most this long for its notifications.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Conversations looked at in one statement; more waiting are taken in further batches at once.</summary>
    [Range(1, 10_000)]
    public int ConversationsPerBatch { get; set; } = 500;
}
