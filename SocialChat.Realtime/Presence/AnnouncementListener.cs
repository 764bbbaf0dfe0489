using SocialChat.Data.Auth;
using SocialChat.Data.Realtime;
using StackExchange.Redis;

namespace SocialChat.Realtime.Presence;

/// <summary>
/// What this node does with the changes announced to every node: a session signed out anywhere has its connections here
/// closed at once; a membership that ended is forgotten, so the removed member's typing stops at once; and presence
/// watches here that a change may have hidden are ended (<see cref="PresenceWatches"/>).
/// </summary>
internal sealed class AnnouncementListener(IConnectionMultiplexer redis, ConnectionRegistry connections, TypingThrottle typing, PresenceWatches watches)
    : IHostedService
{
    private IEnumerable<(RedisChannel Channel, Action<RedisChannel, RedisValue> Handler)> Subscriptions =>
    [
        (SessionStore.RevokedChannel, (_, sessionId) =>
        {
            if (Guid.TryParseExact(sessionId.ToString(), "N", out var id))
            {
                connections.AbortSessions(new HashSet<Guid> { id });
            }
        }),
        (TypingThrottle.MembershipEndedChannel, (_, announcement) => typing.ForgetMembership(announcement)),
        (PresenceWatches.VisibilityMayHaveEndedChannel, (_, announcement) => watches.EndHiddenWatchesAsync(announcement)),
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (channel, handler) in Subscriptions)
        {
            await redis.GetSubscriber().SubscribeAsync(channel, handler);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (channel, _) in Subscriptions)
        {
            await redis.GetSubscriber().UnsubscribeAsync(channel);
        }
    }
}
