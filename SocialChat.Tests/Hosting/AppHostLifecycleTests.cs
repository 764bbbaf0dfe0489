using System.Net.Sockets;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace SocialChat.Tests.Hosting;

/// <summary>Runs of the app host of their own: the dashboard, a clean stop, and the errors a developer can cause.</summary>
public sealed class AppHostLifecycleTests
{
    [Fact]
    public async Task Dashboard_lists_every_resource_and_stop_leaves_no_process_behind()
    {
        var dashboardPort = TestEnvironment.FreePort();
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        appHost.Options.DashboardPort = dashboardPort;
        var app = await appHost.BuildAsync();
        List<int> pids;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await app.StartAsync(timeout.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("api", timeout.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("realtime", timeout.Token);

            using var dashboard = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{dashboardPort}") };
            using var resources = JsonDocument.Parse(await dashboard.GetStringAsync("/api/resources"));
            var byName = resources.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
            Assert.Equal(["api", "cache", "cache-password", "jwt-signing-key", "postgres", "postgres-password", "realtime-0", "realtime-1", "socialdb", "worker"], byName.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("Running", byName["api"].GetProperty("state").GetString());
            Assert.Equal("Healthy", byName["api"].GetProperty("health").GetString());
            Assert.Equal("****", byName["api"].GetProperty("environment").GetProperty("SOCIALDB_PASSWORD").GetString());
            Assert.Contains("<title>SocialChat dashboard</title>", await dashboard.GetStringAsync("/"));
            Assert.NotEmpty(JsonDocument.Parse(await dashboard.GetStringAsync("/api/resources/postgres/logs")).RootElement.EnumerateArray());

            // A service that dies is shown Exited with its exit code, and the app host stays up.
            app.KillInstance("worker");
            await app.ResourceNotifications.WaitForResourceAsync("worker", s => s.State == "Exited" && s.ExitCode == 137, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, (await dashboard.GetAsync("/api/resources")).StatusCode);

            // The dashboard's Start brings it back.
            Assert.Equal(HttpStatusCode.Accepted, (await dashboard.PostAsync("/api/resources/worker/start", null)).StatusCode);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("worker", timeout.Token);

            pids = [.. new[] { "postgres", "cache", "worker", "api", "realtime-0", "realtime-1" }.Select(name => app.GetProcessId(name)!.Value)];
        }
        finally
        {
            await app.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still alive after stop"));

        // Dependents stop before what they depend on: Realtime, Api, then Redis, then PostgreSQL.
        var stoppedAt = app.ResourceNotifications.Current.Where(s => s.StoppedAt is not null).ToDictionary(s => s.Name, s => s.StoppedAt!.Value);
        Assert.True(stoppedAt["realtime-0"] <= stoppedAt["api"] && stoppedAt["realtime-1"] <= stoppedAt["api"], "Realtime stops before the Api it references");
        Assert.True(stoppedAt["api"] <= stoppedAt["cache"], "the Api stops before Redis");
        Assert.True(stoppedAt["cache"] <= stoppedAt["postgres"], "Redis stops before PostgreSQL");
    }

    [Fact]
    public async Task A_busy_port_fails_with_a_message_naming_the_port_and_the_resource()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var busyPort = ((IPEndPoint)holder.LocalEndpoint).Port;
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        appHost.Options.PortOverrides["api"] = busyPort;
        await using var app = await appHost.BuildAsync();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.Contains($"Port {busyPort} for 'api' is already in use", error.Message);
        Assert.Contains($"--port api=<port>", error.Message);
    }

    [Fact]
    public async Task Missing_server_binaries_fail_with_the_install_command()
    {
        var empty = Directory.CreateTempSubdirectory("no-binaries-");
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        appHost.Options.BinarySearchPaths = [empty.FullName];
        await using var app = await appHost.BuildAsync();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.Contains("PostgreSQL server binaries (postgres, initdb) were not found", error.Message);
        Assert.Contains("apt-get install -y postgresql redis-server", error.Message);
    }

    [Fact]
    public async Task A_corrupt_secrets_file_fails_with_what_to_do()
    {
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        await File.WriteAllTextAsync(Path.Combine(appHost.Options.StateDirectory, "parameters.json"), "{ not json");
        await using var app = await appHost.BuildAsync();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.Contains("parameters.json is not valid JSON", error.Message);
        Assert.Contains("delete it to generate new secrets", error.Message);
    }

    [Fact]
    public async Task A_data_folder_that_is_not_a_database_fails_PostgreSQL_and_what_waits_for_it()
    {
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        var dataFolder = Directory.CreateDirectory(Path.Combine(appHost.Options.StateDirectory, "postgres-data"));
        await File.WriteAllTextAsync(Path.Combine(dataFolder.FullName, "stray.txt"), "not a cluster");
        var app = await appHost.BuildAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await app.StartAsync(timeout.Token);
            await app.ResourceNotifications.WaitForResourceAsync("postgres", "FailedToStart", timeout.Token);
            await app.ResourceNotifications.WaitForResourceAsync("api", "FailedToStart", timeout.Token);

            var postgres = app.ResourceNotifications.Current.Single(s => s.Name == "postgres");
            Assert.Contains($"{dataFolder.FullName} is not a database cluster", postgres.HealthDescription);
            Assert.Contains("delete it to start with an empty database", postgres.HealthDescription);
            Assert.Contains(app.GetLogs("postgres"), line => line.Contains("is not a database cluster", StringComparison.Ordinal));
        }
        finally
        {
            // Stopping soon after a failed start (Redis may still be coming up) must still leave nothing running.
            await app.DisposeAsync();
        }

        var stateDirectory = appHost.Options.StateDirectory;
        var leftovers = Directory.GetDirectories("/proc")
            .Where(process => int.TryParse(Path.GetFileName(process), out _))
            .Where(process => ReadLink(Path.Combine(process, "cwd"))?.StartsWith(stateDirectory, StringComparison.Ordinal) == true);
        Assert.Empty(leftovers);
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
