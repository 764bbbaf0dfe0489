using Microsoft.Extensions.Options;
using SocialChat.Data.Realtime;

namespace SocialChat.Worker.Presence;

/// <summary>Marks offline the users of Realtime nodes that died without saying goodbye (their heartbeat expired).</summary>
internal sealed class DeadNodeSweeper(PresenceTracker presence, IOptions<PresenceOptions> options, ILogger<DeadNodeSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await presence.SweepDeadNodesAsync();
                }
                // Only stopping ends the loop: a Redis command the library gave up on also ends cancelled.
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Presence sweep failed; retrying at the next interval");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
