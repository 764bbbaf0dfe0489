using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Data.Realtime;

namespace SocialChat.Realtime.Presence;

/// <summary>
/// Closes this node's connections whose session has ended, every EndedSessionSweepInterval. A revocation closes them at
/// once through its announcement (AnnouncementListener); this catches the one that was never heard, since the
/// contract promises a signed-out device's connections are closed, and an announcement on Redis is at most once.
/// </summary>
internal sealed class EndedSessionSweep(SessionStore sessions, ConnectionRegistry connections, IOptions<PresenceOptions> options, ILogger<EndedSessionSweep> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EndedSessionSweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var sessionIds = connections.Connections.Values.Select(c => c.SessionId).ToHashSet();
                if (sessionIds.Count == 0)
                {
                    continue;
                }

                try
                {
                    var ended = await sessions.EndedAmongAsync(sessionIds, stoppingToken);
                    if (ended.Count > 0)
                    {
                        logger.LogInformation("Closing the connections of {Count} ended session(s) whose revocation was not announced here", ended.Count);
                        connections.AbortSessions(ended);
                    }
                }
                // PostgreSQL away: the next sweep asks again.
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "The sweep of ended sessions failed; retrying at the next one");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
