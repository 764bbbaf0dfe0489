using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Npgsql;

namespace SocialChat.Tests.Hosting;

/// <summary>The shared system the app host's graph starts: every resource healthy, wired as Aspire wires it.</summary>
public sealed class AppHostTests(SocialChatAppFixture fixture)
{
    [Fact]
    public void Every_resource_is_running_and_healthy()
    {
        var snapshots = fixture.App.ResourceNotifications.Current;

        Assert.Equal(
            ["api", "cache", "cache-password", "jwt-signing-key", "postgres", "postgres-password", "realtime-0", "realtime-1", "socialdb", "worker"],
            snapshots.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(snapshots, s => Assert.True(s.IsHealthyAndRunning, $"{s.Name} is {s.State}/{s.Health}"));
    }

    [Theory]
    [InlineData("api", 0)]
    [InlineData("realtime", 0)]
    [InlineData("realtime", 1)]
    [InlineData("worker", 0)]
    public async Task Services_answer_health_and_alive(string resource, int replica)
    {
        using var client = fixture.CreateHttpClient(resource, replica);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task The_worker_migrated_the_database_before_the_services_started()
    {
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("users", tables);
        Assert.Contains("sessions", tables);
        Assert.Contains("messages", tables);
        Assert.Contains("__EFMigrationsHistory", tables);
    }

    [Fact]
    public async Task The_database_admits_every_service_process_with_a_full_connection_pool_and_as_many_again_for_tools()
    {
        const int NpgsqlDefaultMaxPoolSize = 100;
        var serviceProcesses = fixture.App.ResourceNotifications.Current.Count(s => s.Name is "api" or "worker" || s.Name.StartsWith("realtime-", StringComparison.Ordinal));
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW max_connections", connection);

        var maxConnections = int.Parse((string)(await command.ExecuteScalarAsync())!, CultureInfo.InvariantCulture);

        Assert.Equal(4, serviceProcesses);
        Assert.True(maxConnections >= 2 * serviceProcesses * NpgsqlDefaultMaxPoolSize, $"max_connections is {maxConnections}");
    }

    [Fact]
    public void Services_receive_the_environment_Aspire_injects()
    {
        var api = ProcessEnvironment("api");
        var realtime = ProcessEnvironment("realtime-1");
        var apiUrl = fixture.GetEndpoint("api").ToString().TrimEnd('/');

        Assert.Matches("^Host=127.0.0.1;Port=\\d+;Username=postgres;Password=.+;Database=socialdb$", api["ConnectionStrings__socialdb"]);
        Assert.Matches("^127.0.0.1:\\d+,password=.+$", api["ConnectionStrings__cache"]);
        foreach (var key in new[] { "SOCIALDB_HOST", "SOCIALDB_PORT", "SOCIALDB_USERNAME", "SOCIALDB_PASSWORD", "SOCIALDB_URI", "SOCIALDB_DATABASE", "CACHE_HOST", "CACHE_PORT", "CACHE_PASSWORD", "CACHE_URI" })
        {
            Assert.True(api.ContainsKey(key), $"api lacks {key}");
        }

        Assert.Equal("socialdb", api["SOCIALDB_DATABASE"]);
        Assert.StartsWith("postgresql://postgres:", api["SOCIALDB_URI"]);
        Assert.Equal("api", api["OTEL_SERVICE_NAME"]);
        Assert.Equal("service.instance.id=api", api["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal(apiUrl, api["ASPNETCORE_URLS"]);
        Assert.Equal("Development", api["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("Development", api["DOTNET_ENVIRONMENT"]);

        Assert.Equal("realtime", realtime["OTEL_SERVICE_NAME"]);
        Assert.Equal("service.instance.id=realtime-1", realtime["OTEL_RESOURCE_ATTRIBUTES"]);
        Assert.Equal(apiUrl, realtime["services__api__http__0"]);
        Assert.Equal(api["Jwt__SigningKey"], realtime["Jwt__SigningKey"]);
        Assert.True(api["Jwt__SigningKey"].Length >= 64);
    }

    private Dictionary<string, string> ProcessEnvironment(string instance)
    {
        var pid = fixture.App.GetProcessId(instance) ?? throw new InvalidOperationException($"{instance} is not running");
        return File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "");
    }
}
