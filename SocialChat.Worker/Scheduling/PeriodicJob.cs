using SocialChat.Worker.Migrations;

namespace SocialChat.Worker.Scheduling;

/// <summary>
/// Work the Worker does once the database is migrated and then every <see cref="Interval"/>. A run that fails is logged
/// and the next tick runs again: these jobs pick up what is left, so nothing is retried sooner.
/// </summary>
internal abstract class PeriodicJob(DatabaseMigrationStatus migrations, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunAsync(CancellationToken stoppingToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitForCompletionAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    await RunAsync(stoppingToken);
                }
                // Only stopping ends the loop: a Redis command the library gave up on also ends cancelled.
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "{Job} failed; it runs again in {Interval}", GetType().Name, Interval);
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
