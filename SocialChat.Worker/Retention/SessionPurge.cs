using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Worker.Migrations;

namespace SocialChat.Worker.Retention;

/// <summary>Runs <see cref="SessionRetention"/> once the database is migrated, then every <see cref="SessionRetentionOptions.PurgeInterval"/>.</summary>
internal sealed class SessionPurge(
    IServiceScopeFactory scopeFactory,
    DatabaseMigrationStatus migrations,
    IOptions<SessionRetentionOptions> options,
    ILogger<SessionPurge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitForCompletionAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.PurgeInterval);
        try
        {
            do
            {
                try
                {
                    await using var scope = scopeFactory.CreateAsyncScope();
                    var (sessions, refreshTokens) = await scope.ServiceProvider.GetRequiredService<SessionRetention>().PurgeAsync(stoppingToken);
                    logger.LogInformation("Purged {Sessions} ended sessions and {RefreshTokens} expired refresh tokens", sessions, refreshTokens);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "Session purge failed; retrying at the next interval");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
