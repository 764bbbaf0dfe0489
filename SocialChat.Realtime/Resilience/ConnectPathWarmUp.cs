using Npgsql;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Realtime;

namespace SocialChat.Realtime.Resilience;

/// <summary>
/// Takes the connect path's first database query and Redis call, and builds EF Core's model, before the node listens
/// (hosted services start before the server). A restarted node meets its clients' reconnects at once; cold, its first
/// handshakes all wait for the first connections to PostgreSQL and Redis to open, then complete in one burst, and the
/// first calls that use a DbContext (sends, read markers, typing) wait for the model.
/// </summary>
internal sealed class ConnectPathWarmUp(
    NpgsqlDataSource database, IServiceScopeFactory scopes, PresenceTracker presence, ILogger<ConnectPathWarmUp> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // First: building the model needs no dependency, so a node that starts while one is away still has it.
            await using (var scope = scopes.CreateAsyncScope())
            {
                _ = scope.ServiceProvider.GetRequiredService<SocialDbContext>().Model;
            }

            await ChatHub.ConversationIdsOfAsync(database, Guid.Empty, cancellationToken);
            await presence.ConnectionCountAsync(Guid.Empty);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Best effort: a node starts while a dependency is away, or before the Worker has migrated a new
            // database (a first deployment), as it would without the warm-up; its first connects pay.
            logger.LogWarning("Connect path not warmed up: {Error}", exception.GetBaseException().Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
