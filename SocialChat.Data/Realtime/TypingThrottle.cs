using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using SocialChat.Data.Infrastructure;
using StackExchange.Redis;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Keeps typing cheap: one forwarded event per user and conversation every 2 s across all nodes (a Redis
/// key with a 2 s expiry), and membership remembered briefly per node instead of queried on every keystroke.
/// </summary>
public sealed class TypingThrottle(IConnectionMultiplexer redis, IMemoryCache memberships)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
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

    public async Task<bool> IsMemberAsync(SocialDbContext db, Guid userId, Guid conversationId, CancellationToken cancellationToken) =>
        await memberships.GetOrCreateAsync((userId, conversationId), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = MembershipMemory;
            return db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId && m.UserId == userId, cancellationToken);
        });
}
