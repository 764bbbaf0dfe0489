using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SocialChat.Data.Auth;

/// <summary>
/// Each time this process's connection to Redis comes back, marks again the sessions revoked while it may have been
/// away (<see cref="SessionStore.MarkRecentRevocationsAsync"/>): whichever process revoked them, and whether or not it
/// is still running, every process that checks sessions does this for itself.
/// </summary>
internal sealed class RevocationsAfterRedisOutage(IConnectionMultiplexer redis, SessionStore sessions, ILogger<RevocationsAfterRedisOutage> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += MarkAgain;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= MarkAgain;
        return Task.CompletedTask;
    }

    private void MarkAgain(object? sender, ConnectionFailedEventArgs restored)
    {
        if (restored.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var marked = await sessions.MarkRecentRevocationsAsync();
                logger.LogInformation("Redis is back: marked {Sessions} recently revoked sessions as revoked again", marked);
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Could not mark recently revoked sessions again after Redis came back; a session revoked while it was away may work until its access tokens expire");
            }
        });
    }
}
