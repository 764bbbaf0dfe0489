using Aspire.Hosting;

namespace SocialChat.Tests.Support;

/// <summary>
/// What instances logged as failures ("fail:" lines, e.g. the exception handler's unhandled exceptions behind a
/// 500, or a refused hub call), each with the first lines of its exception: the only place a test can see why
/// a service answered as it did.
/// </summary>
public static class LoggedFailures
{
    /// <summary>The unhandled exceptions behind an instance's 500s.</summary>
    public const string UnhandledExceptions = "Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware";

    /// <summary>The failures the instances logged lately, of loggers whose category starts with <paramref name="category"/>.</summary>
    public static string FailuresLogged(this DistributedApplication app, string[] instanceNames, string category = "") =>
        Logged(app, instanceNames, line => line.StartsWith($"fail: {category}", StringComparison.Ordinal), linesEach: 15);

    /// <summary>
    /// What the instances logged about presence (a node's connections cleared or reconciled) and every warning, each with
    /// its message line: why presence did not settle after a node failed.
    /// </summary>
    public static string PresenceLogged(this DistributedApplication app, string[] instanceNames) =>
        Logged(
            app,
            instanceNames,
            line => line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("info: SocialChat.Data.Realtime.PresenceTracker", StringComparison.Ordinal),
            linesEach: 2);

    private static string Logged(DistributedApplication app, string[] instanceNames, Func<string, bool> starts, int linesEach) =>
        string.Join('\n', instanceNames.SelectMany(instance =>
        {
            var lines = app.GetLogs(instance).TakeLast(5_000).ToList();
            return lines.Select((line, index) => (line, index))
                .Where(l => starts(l.line))
                .SelectMany(l => lines.Skip(l.index).Take(linesEach).Select(line => $"{instance}| {line}"));
        }));
}
