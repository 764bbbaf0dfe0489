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
    private long _membershipsForgotten;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Carries "{conversationId:N}{userId:N}" for every membership that ended.</summary>
    public static readonly RedisChannel MembershipEndedChannel = RedisChannel.Literal("socialchat:memberships:ended");

    private static readonly TimeSpan MembershipMemory = TimeSpan.FromSeconds(30);

    /// <summary>How long clients show an indicator after its last forwarded <c>true</c> (the contract's 6 s).</summary>
    private static readonly TimeSpan IndicatorLifetime = TimeSpan.FromSeconds(6);

    /// <summary>
    /// A <c>true</c> goes out at most once per <see cref="Interval"/>; a <c>false</c> goes out once, and only while
    /// an indicator forwarded before may still show, so repeated stops are not a way past the throttle. A stop also
    /// ends the interval: typing again right after is shown at once.
    /// </summary>
    public async Task<bool> ShouldForwardAsync(Guid userId, Guid conversationId, bool isTyping)
    {
        var throttle = (RedisKey)$"typing:{conversationId:N}:{userId:N}";
        var shown = (RedisKey)$"typing:{conversationId:N}:{userId:N}:shown";
        var database = redis.GetDatabase();
        if (!isTyping)
        {
            var deletes = await Task.WhenAll(database.KeyDeleteAsync(shown), database.KeyDeleteAsync(throttle));
            return deletes[0];
        }

        if (!await database.StringSetAsync(throttle, "1", Interval, When.NotExists))
        {
            return false;
        }

        await database.StringSetAsync(shown, "1", IndicatorLifetime);
        return true;
    }

    public async Task AnnounceMembershipsEndedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds)
    {
        var subscriber = redis.GetSubscriber();
        await Task.WhenAll(userIds.Select(userId => subscriber.PublishAsync(MembershipEndedChannel, MembershipEnded(conversationId, userId))));
    }

    /// <summary>The announcement on <see cref="MembershipEndedChannel"/> that this user's membership of this conversation ended.</summary>
    public static RedisValue MembershipEnded(Guid conversationId, Guid userId) => $"{conversationId:N}{userId:N}";

    /// <summary>What a node does with an announcement on <see cref="MembershipEndedChannel"/>.</summary>
    public void ForgetMembership(RedisValue announcement)
    {
        var text = announcement.ToString();
        if (text.Length == 64 && Guid.TryParseExact(text[..32], "N", out var conversationId) && Guid.TryParseExact(text[32..], "N", out var userId))
        {
            Interlocked.Increment(ref _membershipsForgotten);
            memberships.Remove((userId, conversationId));
        }
    }

    /// <remarks>
    /// A membership read while an end was forgotten is not remembered: the read may have begun before the removal
    /// committed, and what it stores after the forgetting would keep the removed member typing for the whole memory.
    /// It is stored first and checked after, so a forgetting that comes between the two still finds it. Only a
    /// membership that holds is remembered: an added member may type at once.
    /// </remarks>
    public async Task<bool> IsMemberAsync(SocialDbContext db, Guid userId, Guid conversationId, CancellationToken cancellationToken)
    {
        var key = (userId, conversationId);
        if (memberships.TryGetValue(key, out _))
        {
            return true;
        }

        var forgottenBefore = Interlocked.Read(ref _membershipsForgotten);
        if (!await db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId && m.UserId == userId, cancellationToken))
        {
            return false;
        }

        memberships.Set(key, true, MembershipMemory);
        if (Interlocked.Read(ref _membershipsForgotten) != forgottenBefore)
        {
            memberships.Remove(key);
        }

        return true;
    }
}
