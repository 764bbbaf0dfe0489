using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var configuration = ConfigurationOptions.Parse(RequiredConnectionString(builder.Configuration, connectionName));
        // Start even while Redis is away and reconnect in the background: Redis holds nothing that is the only copy.
        configuration.AbortOnConnectFail = false;

        var multiplexer = new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(configuration));
        builder.Services.AddSingleton(_ => multiplexer.Value);
        builder.Services.AddHealthChecks().AddRedis(_ => multiplexer.Value, name: connectionName);
    }

    private static string RequiredConnectionString(IConfiguration configuration, string connectionName) =>
        configuration.GetConnectionString(connectionName)
        ?? throw new InvalidOperationException(
            $"ConnectionStrings:{connectionName} is not set. Start the service from SocialChat.AppHost, or set ConnectionStrings__{connectionName}.");
}
