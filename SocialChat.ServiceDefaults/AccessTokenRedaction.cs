using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Browsers cannot set headers on a WebSocket, so hub clients send their access token as <c>?access_token=</c>;
/// any log line or span that carries a query string (hosting's "Request starting", <c>url.query</c>) would
/// otherwise hand a live token to whoever reads the logs. Every exit (console, OTLP logs, OTLP traces) redacts it.
/// </summary>
public static partial class AccessTokenRedaction
{
    public const string Redacted = "[redacted]";

    public static string? Redact(string? text) =>
        text is null || !text.Contains("access_token", StringComparison.OrdinalIgnoreCase) ? text : TokenValue().Replace(text, Redacted);

    [GeneratedRegex(@"(?<=access_token=)[^&\s""]+", RegexOptions.IgnoreCase)]
    private static partial Regex TokenValue();
}

/// <summary>The simple console format (level: category[event] then the message), with tokens redacted.</summary>
public sealed class RedactingConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "redacted";

    public override void Write<TState>(in LogEntry<TState> logEntry, Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write($"{LevelOf(logEntry.LogLevel)}: {logEntry.Category}[{logEntry.EventId.Id}]{Environment.NewLine}");
        textWriter.Write($"      {AccessTokenRedaction.Redact(message)}{Environment.NewLine}");
        if (logEntry.Exception is not null)
        {
            textWriter.Write($"{AccessTokenRedaction.Redact(logEntry.Exception.ToString())}{Environment.NewLine}");
        }
    }

    private static string LevelOf(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}

public sealed class RedactingLogProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        data.FormattedMessage = AccessTokenRedaction.Redact(data.FormattedMessage);
        data.Body = AccessTokenRedaction.Redact(data.Body);
        if (data.Attributes?.Any(a => a.Value is string value && value != AccessTokenRedaction.Redact(value)) == true)
        {
            data.Attributes = [.. data.Attributes.Select(a => a.Value is string value ? new KeyValuePair<string, object?>(a.Key, AccessTokenRedaction.Redact(value)) : a)];
        }
    }
}

public sealed class RedactingActivityProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        data.DisplayName = AccessTokenRedaction.Redact(data.DisplayName)!;
        foreach (var tag in data.TagObjects.Where(t => t.Value is string value && value != AccessTokenRedaction.Redact(value)).ToList())
        {
            data.SetTag(tag.Key, AccessTokenRedaction.Redact((string)tag.Value!));
        }
    }
}
