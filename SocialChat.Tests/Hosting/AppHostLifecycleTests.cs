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
        var dashboardPort = FreePort();
        var app = DistributedApplicationTestingBuilder.Create<Program>(configureOptions: options => options.DashboardPort = dashboardPort);
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

            pids = [.. new[] { "postgres", "cache", "api", "realtime-0", "realtime-1" }.Select(name => app.GetProcessId(name)!.Value)];
        }
        finally
        {
            await app.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still alive after stop"));
    }

    [Fact]
    public async Task A_busy_port_fails_with_a_message_naming_the_port_and_the_resource()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var busyPort = ((IPEndPoint)holder.LocalEndpoint).Port;
        await using var app = DistributedApplicationTestingBuilder.Create<Program>(configureOptions: options => options.PortOverrides["api"] = busyPort);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.Contains($"Port {busyPort} for 'api' is already in use", error.Message);
        Assert.Contains($"--port api=<port>", error.Message);
    }

    [Fact]
    public async Task Missing_server_binaries_fail_with_the_install_command()
    {
        var empty = Directory.CreateTempSubdirectory("no-binaries-");
        await using var app = DistributedApplicationTestingBuilder.Create<Program>(configureOptions: options => options.BinarySearchPaths = [empty.FullName]);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.Contains("PostgreSQL server binaries (postgres, initdb) were not found", error.Message);
        Assert.Contains("apt-get install -y postgresql redis-server", error.Message);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
