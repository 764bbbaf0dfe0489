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
        string.Join('\n', instanceNames.SelectMany(instance =>
        {
            var lines = app.GetLogs(instance).TakeLast(5_000).ToList();
            return lines.Select((line, index) => (line, index))
                .Where(l => l.line.StartsWith($"fail: {category}", StringComparison.Ordinal))
                .SelectMany(l => lines.Skip(l.index).Take(15).Select(line => $"{instance}| {line}"));
        }));
}
