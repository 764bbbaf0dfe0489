using SocialChat.Data.Messages;

namespace SocialChat.Data.Conversations;

/// <summary>
/// What live clients are told after a conversation operation has committed. The operations call it, so a
/// change made through REST and one made through the hub reach connected members the same way.
/// </summary>
public interface IConversationEvents
{
    Task MessageReceivedAsync(MessageResponse message);

    Task MessageEditedAsync(MessageResponse message);

    Task MessageDeletedAsync(Guid conversationId, long seq, long revision);

    Task ReadReceiptAsync(Guid conversationId, Guid userId, long seq);

    /// <summary>
    /// Members joined or left: their live connections follow and those who left get ConversationRemoved, presence
    /// subscriptions this conversation alone allowed end, then the members, new ones included, get ConversationChanged.
    /// </summary>
    Task MembershipChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> added, IReadOnlyCollection<Guid> removed);

    /// <summary>Created or renamed: each of these users gets the conversation as they see it.</summary>
    Task ConversationChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds);
}
