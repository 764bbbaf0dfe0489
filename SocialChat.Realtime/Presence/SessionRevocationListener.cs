using SocialChat.Data.Auth;
using SocialChat.Data.Realtime;
using StackExchange.Redis;

namespace SocialChat.Realtime.Presence;

/// <summary>Closes this node's connections of a session the moment it is signed out anywhere.</summary>
internal sealed class SessionRevocationListener(IConnectionMultiplexer redis, ConnectionRegistry connections) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) =>
        await redis.GetSubscriber().SubscribeAsync(SessionStore.RevokedChannel, (_, sessionId) =>
        {
            if (Guid.TryParseExact(sessionId.ToString(), "N", out var id))
            {
                connections.AbortSessions(new HashSet<Guid> { id });
            }
        });

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(SessionStore.RevokedChannel);
}
