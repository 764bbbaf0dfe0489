using Aspire.Hosting;

namespace SocialChat.Tests.Support;

/// <summary>
/// What service instances logged as failures, for assertion messages: a 500 or a refused hub connect says why
/// only in the service's own log. Each entry is its "fail:" header line and the lines of its exception.
/// </summary>
public static class LoggedFailures
{
    private static readonly string[] EntryHeads = ["trce:", "dbug:", "info:", "warn:", "fail:", "crit:"];

    /// <param name="category">Only entries of this logger category, e.g. ASP.NET Core's ExceptionHandlerMiddleware for the 500s.</param>
    public static string Of(DistributedApplication app, IEnumerable<string> instanceNames, string? category = null, int maxLinesPerEntry = 15) =>
        string.Join('\n', instanceNames.SelectMany(instance =>
        {
            var lines = app.GetLogs(instance);
            return lines.Select((line, index) => (line, index))
                .Where(l => l.line.StartsWith("fail:", StringComparison.Ordinal) && (category is null || l.line.Contains(category, StringComparison.Ordinal)))
                .SelectMany(l => lines.Skip(l.index).Take(maxLinesPerEntry)
                    .TakeWhile((line, offset) => offset == 0 || !EntryHeads.Any(head => line.StartsWith(head, StringComparison.Ordinal)))
                    .Select(line => $"{instance}| {line}"));
        }));
}
