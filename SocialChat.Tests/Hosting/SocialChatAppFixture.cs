using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using SocialChat.Tests.Hosting;

[assembly: AssemblyFixture(typeof(SocialChatAppFixture))]

namespace SocialChat.Tests.Hosting;

/// <summary>
/// One running SocialChat for the whole test run — the app host's own graph with free ports and a
/// throw-away state folder — shared by every test class; tests keep apart by owning their data.
/// </summary>
public sealed class SocialChatAppFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Timings shortened so the tests can watch them happen.</summary>
    public static readonly IReadOnlyDictionary<string, string> TestSettings = new Dictionary<string, string>
    {
        ["Presence__NodeTimeout"] = "00:00:04",
        ["Presence__HeartbeatInterval"] = "00:00:01",
        ["Presence__SweepInterval"] = "00:00:01",
        ["Presence__EndedSessionSweepInterval"] = "00:00:01",
        ["Social__PopularAuthorFollowerThreshold"] = "3",
        ["Social__FanOutPollInterval"] = "00:00:00.100",
        ["MessageNotifications__Delay"] = "00:00:00.200",
        ["MessageNotifications__PollInterval"] = "00:00:00.200",
        // Every test client comes from 127.0.0.1: the per-address budgets must cover the whole suite.
        ["RateLimits__AnonymousPermits"] = "100000",
        ["RateLimits__AuthPermits"] = "100000",
        // Index 0 on Realtime is the app host's own entry for the web client's origin (the Api).
        ["Cors__AllowedOrigins__1"] = "https://app.example.test",
        // A busy test machine can take longer than production's 30 s for a first request; no test waits on this timeout.
        ["RequestTimeouts__Default"] = "00:05:00",
        // The only trusted proxy is a second loopback address, so a test can speak both as a proxy and as a client.
        ["ForwardedHeaders__KnownProxies__0"] = "127.0.0.2",
    };

    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync() => App = await StartAppAsync();

    /// <summary>
    /// A system of its own, for tests that must break it (kill a node) without disturbing the shared one, or
    /// that need the dashboard (and with it the OTLP receiver the services then export to);
    /// <paramref name="settings"/> are added to (or replace) the test settings for every service.
    /// </summary>
    public static async Task<DistributedApplication> StartAppAsync(IReadOnlyDictionary<string, string>? settings = null, int? dashboardPort = null)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>(cancellationToken: timeout.Token);
        appHost.Options.DashboardPort = dashboardPort;
        var environment = new Dictionary<string, string>(TestSettings);
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        foreach (var project in appHost.Resources.OfType<ProjectResource>())
        {
            var projectBuilder = appHost.CreateResourceBuilder(project);
            foreach (var (name, value) in environment)
            {
                projectBuilder.WithEnvironment(name, value);
            }

            if (project.Name == "realtime")
            {
                // Off in production; on here so the tests see the query string (with access_token) this log would print.
                projectBuilder.WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");
            }
        }

        var app = await appHost.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            foreach (var resource in new[] { "worker", "api", "realtime" })
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }

            return app;
        }
        catch
        {
            // A half-started system must not outlive the failed start: stop what did start.
            await app.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateHttpClient(string resourceName = "api", int replica = 0) => App.CreateHttpClient(resourceName, "http", replica);

    public Uri GetEndpoint(string resourceName, int replica = 0) => App.GetEndpoint(resourceName, "http", replica);

    public Task<string?> GetConnectionStringAsync(string resourceName) => App.GetConnectionStringAsync(resourceName);

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
