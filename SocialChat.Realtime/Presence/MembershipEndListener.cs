using SocialChat.Data.Realtime;
using StackExchange.Redis;

namespace SocialChat.Realtime.Presence;

/// <summary>Makes this node forget a membership that ended anywhere, so the removed member's typing stops at once.</summary>
internal sealed class MembershipEndListener(IConnectionMultiplexer redis, TypingThrottle typing) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) =>
        await redis.GetSubscriber().SubscribeAsync(TypingThrottle.MembershipEndedChannel, (_, announcement) => typing.ForgetMembership(announcement));

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(TypingThrottle.MembershipEndedChannel);
}
