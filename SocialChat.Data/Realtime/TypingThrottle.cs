using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using SocialChat.Data.Infrastructure;
using StackExchange.Redis;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Keeps typing cheap: one forwarded event per user and conversation every 2 s across all nodes (a Redis
/// key with a 2 s expiry), and membership remembered briefly per node instead of queried on every keystroke.
/// A membership that ends is announced on a channel, so that every node forgets it at once: a removed member's
/// typing must stop reaching the group when the removal commits, not when the memory expires.
/// </summary>
public sealed class TypingThrottle(IConnectionMultiplexer redis, IMemoryCache memberships)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Carries "{conversationId:N}{userId:N}" for every membership that ended.</summary>
    public static readonly RedisChannel MembershipEndedChannel = RedisChannel.Literal("socialchat:memberships:ended");

    private static readonly TimeSpan MembershipMemory = TimeSpan.FromSeconds(30);

    public async Task<bool> ShouldForwardAsync(Guid userId, Guid conversationId, bool isTyping)
    {
        var key = (RedisKey)$"typing:{conversationId:N}:{userId:N}";
        if (!isTyping)
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
            return true;
        }

        return await redis.GetDatabase().StringSetAsync(key, "1", Interval, When.NotExists);
    }

    public async Task AnnounceMembershipsEndedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds)
    {
        var subscriber = redis.GetSubscriber();
        await Task.WhenAll(userIds.Select(userId => subscriber.PublishAsync(MembershipEndedChannel, $"{conversationId:N}{userId:N}")));
    }

    /// <summary>What a node does with an announcement on <see cref="MembershipEndedChannel"/>.</summary>
    public void ForgetMembership(RedisValue announcement)
    {
        var text = announcement.ToString();
        if (text.Length == 64 && Guid.TryParseExact(text[..32], "N", out var conversationId) && Guid.TryParseExact(text[32..], "N", out var userId))
        {
            memberships.Remove((userId, conversationId));
        }
    }

    public async Task<bool> IsMemberAsync(SocialDbContext db, Guid userId, Guid conversationId, CancellationToken cancellationToken) =>
        await memberships.GetOrCreateAsync((userId, conversationId), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = MembershipMemory;
            return db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId && m.UserId == userId, cancellationToken);
        });
}
