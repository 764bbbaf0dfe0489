using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Scheduling;

namespace SocialChat.Worker.Retention;

/// <summary>Runs <see cref="SessionRetention"/> once the database is migrated, then every <see cref="SessionRetentionOptions.PurgeInterval"/>.</summary>
internal sealed class SessionPurge(
    IServiceScopeFactory scopeFactory,
    DatabaseMigrationStatus migrations,
    IOptions<SessionRetentionOptions> options,
    ILogger<SessionPurge> logger) : PeriodicJob(migrations, logger)
{
    protected override TimeSpan Interval => options.Value.PurgeInterval;

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var sessions = await scope.ServiceProvider.GetRequiredService<SessionRetention>().PurgeAsync(stoppingToken);
        logger.LogInformation("Purged {Sessions} ended sessions", sessions);
    }
}
