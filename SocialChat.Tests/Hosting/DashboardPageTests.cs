using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SocialChat.Tests.Hosting;

/// <summary>The dashboard page as a developer sees it in a real headless Chromium, on a system of its own (the shared one has no dashboard).</summary>
public sealed class DashboardPageTests
{
    private static readonly string[] Resources =
        ["postgres", "socialdb", "cache", "worker", "api", "realtime-0", "realtime-1", "jwt-signing-key", "postgres-password", "cache-password"];

    [Fact]
    public async Task Dashboard_lists_every_resource_healthy_shows_a_log_and_links_the_web_client()
    {
        var dashboardPort = TestEnvironment.FreePort();
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Program>();
        appHost.Options.DashboardPort = dashboardPort;
        await using var app = await appHost.BuildAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await app.StartAsync(timeout.Token);
        foreach (var resource in new[] { "worker", "api", "realtime" })
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(Dashboard_lists_every_resource_healthy_shows_a_log_and_links_the_web_client));
        var page = await chromium.NewPersonAsync("developer");
        await page.GotoAsync($"http://127.0.0.1:{dashboardPort}/");

        var rows = page.Locator("#resources tr");
        await Expect(rows).ToHaveCountAsync(Resources.Length);
        foreach (var name in Resources)
        {
            // Columns: resource, type, state, health, …
            var row = rows.Filter(new() { Has = page.Locator("td:first-child", new() { HasTextRegex = new($"^{name}$") }) });
            await Expect(row.Locator("td:nth-child(4)")).ToHaveTextAsync("Healthy");
        }

        await chromium.ScreenshotAsync(page, "every-resource-healthy");

        await page.ClickAsync("#resources td:first-child a:text-is('postgres')");
        await Expect(page.Locator("#log-name")).ToHaveTextAsync("postgres");
        await Expect(page.Locator("#log")).ToContainTextAsync("database system is ready to accept connections");
        await chromium.ScreenshotAsync(page, "postgres-log");

        // The Api's row links the web client, which opens on its login form.
        var webClient = page.Locator("#resources a[href$='/app']");
        await Expect(webClient).ToHaveCountAsync(1);
        var webClientPage = await page.Context.RunAndWaitForPageAsync(() => webClient.ClickAsync());
        await Expect(webClientPage.Locator("#login-form")).ToBeVisibleAsync();
        await chromium.ScreenshotAsync(webClientPage, "web-client-from-the-dashboard");
    }
}
