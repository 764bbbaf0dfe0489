using Microsoft.Extensions.Options;
using SocialChat.Data.Realtime;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Scheduling;

namespace SocialChat.Worker.Presence;

/// <summary>Marks offline the users of Realtime nodes that died without saying goodbye (their heartbeat expired).</summary>
/// <remarks>Once the database is migrated: marking a user offline stores their lastSeenAt.</remarks>
internal sealed class DeadNodeSweeper(
    PresenceTracker presence,
    DatabaseMigrationStatus migrations,
    IOptions<PresenceOptions> options,
    ILogger<DeadNodeSweeper> logger) : PeriodicJob(migrations, logger)
{
    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override Task RunAsync(CancellationToken stoppingToken) => presence.SweepDeadNodesAsync();
}
