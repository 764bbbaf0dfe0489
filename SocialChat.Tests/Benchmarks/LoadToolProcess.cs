using System.Diagnostics;
using System.Text.Json;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>Runs the load tool as a process against the shared test system, and reads its JSON report.</summary>
internal static class LoadToolProcess
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    /// <summary>
    /// The arguments override the defaults (the test system's Api, its two Realtime nodes, PostgreSQL, Redis and signing
    /// key). The output ends with <paramref name="serverLog"/>: what the servers logged, the reason a refused connect gives only there.
    /// </summary>
    public static async Task<(int ExitCode, T Report, string Output)> RunAsync<T>(
        SocialChatAppFixture fixture, Func<string> serverLog, string scenario, params string[] arguments)
    {
        var reportPath = Path.Combine(Path.GetTempPath(), $"loadtest-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SocialChat.LoadTest.dll"));
        start.ArgumentList.Add(scenario);
        var target = new Dictionary<string, string>
        {
            ["--api"] = fixture.GetEndpoint("api").ToString(),
            ["--realtime"] = $"{fixture.GetEndpoint("realtime", 0)},{fixture.GetEndpoint("realtime", 1)}",
            ["--postgres"] = (await fixture.GetConnectionStringAsync("socialdb"))!,
            ["--redis"] = (await fixture.GetConnectionStringAsync("cache"))!,
            ["--jwt-signing-key"] = fixture.EnvironmentOf("api", "Jwt__SigningKey"),
            ["--max-run-time"] = "00:03:00",
            ["--report"] = reportPath,
        };
        foreach (var (name, value) in target.Where(t => !arguments.Contains(t.Key)))
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = $"{await stdout}\n{await stderr}\n{serverLog()}";
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        var report = File.Exists(reportPath) ? JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(reportPath), JsonSerializerOptions.Web)! : default!;
        File.Delete(reportPath);
        return (process.ExitCode, report, output);
    }
}
