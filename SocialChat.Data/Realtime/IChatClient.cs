using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;

namespace SocialChat.Data.Realtime;

/// <summary>Every server → client event of the hub, checked by the compiler and named once.</summary>
public interface IChatClient
{
    Task MessageReceived(MessageResponse message);

    Task MessageEdited(MessageResponse message);

    Task MessageDeleted(MessageDeletedEvent deleted);

    Task TypingChanged(TypingChangedEvent typing);

    Task ReadReceipt(ReadReceiptEvent receipt);

    Task PresenceChanged(PresenceResponse presence);

    Task ConversationChanged(ConversationResponse conversation);

    Task ConversationRemoved(ConversationRemovedEvent removed);

    Task Notification(NotificationResponse notification);
}

/// <summary>The contract's <c>{conversationId, seq}</c>, and the deletion's revision (see <see cref="MessageResponse.Revision"/>).</summary>
public sealed record MessageDeletedEvent(Guid ConversationId, long Seq, long Revision);

public sealed record TypingChangedEvent(Guid ConversationId, Guid UserId, bool IsTyping);

public sealed record ReadReceiptEvent(Guid ConversationId, Guid UserId, long Seq);

/// <summary>To a member who was removed or left: the conversation is no longer theirs to show.</summary>
public sealed record ConversationRemovedEvent(Guid ConversationId);

/// <summary>The contract's presence entry: <c>{userId, online, lastSeenAt}</c>.</summary>
public sealed record PresenceResponse(Guid UserId, bool Online, DateTime? LastSeenAt);

public sealed record PresenceRequest(IReadOnlyList<Guid>? UserIds);

/// <summary>The SignalR groups events are addressed to.</summary>
public static class ChatGroups
{
    public static string Conversation(Guid conversationId) => $"conversation:{conversationId:N}";

    /// <summary>The connections that subscribed to a user's presence.</summary>
    public static string Presence(Guid userId) => $"presence:{userId:N}";
}
