using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Realtime;

namespace SocialChat.Realtime.Presence;

/// <summary>
/// Tells the cluster this node is alive. If the process dies the key expires, and the Worker's sweep
/// marks this node's users offline; a clean stop removes the node at once.
/// </summary>
internal sealed class NodeHeartbeat(PresenceTracker presence, ConnectionRegistry connections, IOptions<PresenceOptions> options, ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        try
        {
            do
            {
                try
                {
                    await presence.HeartbeatAsync(connections.NodeId, connections.Connections);
                }
                // Only stopping ends the loop: a Redis command the library gave up on may also end cancelled.
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Presence heartbeat failed; retrying");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await presence.RemoveNodeAsync(connections.NodeId);
    }
}
