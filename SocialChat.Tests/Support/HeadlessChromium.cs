using Microsoft.Playwright;

namespace SocialChat.Tests.Support;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by Playwright, headless; each test
/// saves a screenshot of every step under TestResults/screenshots/&lt;test&gt; and names the folder in its output.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private int _step;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser, string screenshotFolder)
    {
        _playwright = playwright;
        Browser = browser;
        ScreenshotFolder = screenshotFolder;
    }

    public IBrowser Browser { get; }

    public string ScreenshotFolder { get; }

    public static async Task<HeadlessChromium> LaunchAsync(string testName)
    {
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: run scripts/install-prerequisites.sh (apt-get install -y chromium).");
        // What the user sees has to appear within these; the machine may be busy with other tests.
        Assertions.SetDefaultExpectTimeout(120_000);

        var playwright = await Playwright.CreateAsync();
        // LaunchAsync starts the browser on a fresh throw-away profile (user-data dir) of its own.
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            ChromiumSandbox = false,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });

        var folder = Path.Combine(TestEnvironment.RepositoryRoot, "TestResults", "screenshots", testName);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        TestContext.Current.TestOutputHelper?.WriteLine($"Screenshots of each step: {folder}");
        return new HeadlessChromium(playwright, browser, folder);
    }

    /// <summary>
    /// A page in a browser context of its own (its own cookies and local storage, like another person's browser);
    /// what the page logs and throws goes to the test output.
    /// </summary>
    public async Task<IPage> NewPersonAsync(string name)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        var output = TestContext.Current.TestOutputHelper;
        context.Console += (_, message) => output?.WriteLine($"[{name} console {message.Type}] {message.Text}");
        context.WebError += (_, error) => output?.WriteLine($"[{name} error] {error.Error}");
        return await context.NewPageAsync();
    }

    public async Task ScreenshotAsync(IPage page, string step) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, $"{++_step:00}-{step}.png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
