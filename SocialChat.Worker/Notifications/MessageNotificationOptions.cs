using System.ComponentModel.DataAnnotations;

namespace SocialChat.Worker.Notifications;

/// <summary>How the Worker writes message notifications for members who are offline (<see cref="OfflineMemberNotifications"/>).</summary>
internal sealed class MessageNotificationOptions
{
    public const string SectionName = "MessageNotifications";

    /// <summary>
    /// How long after the first new message of a conversation its members are looked at. A member who reads it
    /// meanwhile (on another device) is not notified, and a conversation is looked at once per this time however busy
    /// it is: each look checks the presence of every member with unread messages.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the Worker takes the conversations that are due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a pass holds the conversations it took: those of a Worker that died before writing their notifications
    /// come due again then. Longer than a pass can take, or a slow pass's conversations are looked at twice (harmless:
    /// a member holds one unread message notification per conversation).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Conversations looked at in one statement; more that are due are taken in further batches at once.</summary>
    [Range(1, 10_000)]
    public int ConversationsPerBatch { get; set; } = 500;
}
