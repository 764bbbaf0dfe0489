using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Worker.Migrations;

/// <summary>
/// Applies pending EF Core migrations once at start. Api and Realtime wait for the Worker to be healthy,
/// and it is healthy only after this has finished, so no service ever sees an old schema.
/// </summary>
internal sealed class DatabaseMigrator(
    IServiceScopeFactory scopeFactory,
    IConfiguration configuration,
    DatabaseMigrationStatus status,
    ILogger<DatabaseMigrator> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                await using var direct = DirectContext();
                var db = direct ?? scope.ServiceProvider.GetRequiredService<SocialDbContext>();
                var pending = (await db.Database.GetPendingMigrationsAsync(stoppingToken)).ToList();
                await db.Database.MigrateAsync(stoppingToken);
                logger.LogInformation("Database is up to date; applied {Count} migration(s): {Migrations}", pending.Count, pending);
                status.MarkCompleted();
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // PostgreSQL may still be starting (deployments do not always order their units); try again.
                status.MarkFailed(exception.Message);
                logger.LogWarning(exception, "Migrating the database failed; retrying in {Delay}", RetryDelay);
                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }

    /// <summary>
    /// In production the services reach PostgreSQL through PgBouncer in transaction pooling; migrations run
    /// DDL under locks that must stay on one server connection, so they use a direct connection when one is given.
    /// </summary>
    private SocialDbContext? DirectContext()
    {
        var connectionString = configuration.GetConnectionString(MigrationsConnectionName);
        if (string.IsNullOrEmpty(connectionString))
        {
            return null;
        }

        var options = new DbContextOptionsBuilder<SocialDbContext>().UseNpgsql(connectionString);
        SocialDbContextOptions.Configure(options);
        return new SocialDbContext(options.Options);
    }

    private const string MigrationsConnectionName = "migrations";
}
