using StackExchange.Redis;

namespace SocialChat.Data.Notifications;

/// <summary>
/// The conversations with new messages that the Worker has not looked at yet for message notifications: a Redis set,
/// so a busy conversation is one entry however many messages it takes. Only a hint: whom to notify is read from the
/// members' read markers (<see cref="MessageNotifier"/>), so a hint that is lost (Redis away, a Worker stopped
/// mid-batch) delays that conversation's notifications to its next message and loses nothing stored.
/// </summary>
public sealed class MessageNotificationQueue(IConnectionMultiplexer redis)
{
    private static readonly RedisKey ConversationsKey = "notifications:message-conversations";

    /// <summary>Not awaited: the message is committed and delivered, and a hint is not worth a send's round trip.</summary>
    public void Enqueue(Guid conversationId) =>
        _ = redis.GetDatabase().SetAddAsync(ConversationsKey, conversationId.ToString("N"), CommandFlags.FireAndForget);

    /// <summary>Takes up to <paramref name="count"/> conversations off the set; a message arriving meanwhile puts its conversation back.</summary>
    public async Task<List<Guid>> TakeAsync(int count) =>
        [.. (await redis.GetDatabase().SetPopAsync(ConversationsKey, count)).Select(id => Guid.ParseExact(id.ToString(), "N"))];
}
