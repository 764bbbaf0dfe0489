using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

// Client wiring by connection name, as Aspire's client integrations do it: the connection string comes from
// ConnectionStrings__<name>, whoever set it (app host, test fixture, VPS unit), and each client brings a
// health check named after its connection.
public static class ClientIntegrations
{
    public static void AddNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        var connectionString = RequiredConnectionString(builder.Configuration, connectionName);
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
        // As the deployed connection string has it (behind PgBouncer a reset would land on another server
        // connection), so that development, tests and benchmarks run as production does: the code keeps no session
        // state to reset, and DISCARD ALL would also throw away the server's cached plans, the message store's
        // function's among them.
        dataSourceBuilder.ConnectionStringBuilder.NoResetOnClose = true;
        // A span only for commands inside a request or an operation: the Worker's polls, several a second on
        // their own, would otherwise push every trace worth reading out of the dashboard.
        dataSourceBuilder.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => Activity.Current is not null)
            .ConfigureBatchFilter(_ => Activity.Current is not null));
        var dataSource = dataSourceBuilder.Build();
        builder.Services.AddSingleton(dataSource);

        builder.Services.AddDbContextPool<TContext>(options =>
        {
            options.UseNpgsql(dataSource);
            configureDbContextOptions?.Invoke(options);
        });

        builder.Services.AddHealthChecks().AddNpgSql(_ => dataSource, name: connectionName);
    }

    public static void AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var configuration = ConfigurationOptions.Parse(RequiredConnectionString(builder.Configuration, connectionName)).WithOutageTimeouts();
        var multiplexer = new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(configuration));
        builder.Services.AddSingleton(_ => multiplexer.Value);
        // Redis holds nothing that is the only copy, so without it a service is degraded, not down: it keeps
        // answering (200 with "Degraded") and no supervisor restarts it for Redis's sake.
        builder.Services.AddHealthChecks().AddRedis(_ => multiplexer.Value, name: connectionName, failureStatus: HealthStatus.Degraded, timeout: TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// How every Redis client here (the service's own and SignalR's backplane) behaves while Redis is away:
    /// start anyway and reconnect in the background about once a second; while disconnected, fail a command at
    /// once instead of queueing it; while Redis hangs (connected, not answering), give up after the library's 5 s
    /// (1 s was tried: a burst of 120 hub connects on a 2-core machine then timed out presence and group writes
    /// while the thread pool grew, failing a fifth of the connects; see RELIABILITY.md). What a request or a hub
    /// call may do without — live events, typing, presence events, the cached session check, shared rate-limit
    /// counters — is waited on for a shorter bound of its own (RedisOutageOptions, 1 s), after which the caller
    /// falls back (sessions to PostgreSQL, rate limits to in-process) or drops it.
    /// </summary>
    public static ConfigurationOptions WithOutageTimeouts(this ConfigurationOptions configuration)
    {
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 2_000;
        configuration.SyncTimeout = 5_000;
        configuration.AsyncTimeout = 5_000;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 500, maxDeltaBackOffMilliseconds: 2_000);
        return configuration;
    }

    private static string RequiredConnectionString(IConfiguration configuration, string connectionName) =>
        configuration.GetConnectionString(connectionName)
        ?? throw new InvalidOperationException(
            $"ConnectionStrings:{connectionName} is not set. Start the service from SocialChat.AppHost, or set ConnectionStrings__{connectionName}.");
}
