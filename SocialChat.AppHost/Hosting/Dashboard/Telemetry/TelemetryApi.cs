using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>The telemetry as JSON, for scripts and tests: what the pages show, with the same filters.</summary>
internal static class TelemetryApi
{
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/telemetry");
        api.MapGet("/resources", (TelemetryStore store) => TypedResults.Ok(store.Resources));
        api.MapGet("/logs", GetLogs);
        api.MapGet("/logs/{id:long}", Results<Ok<LogEntry>, NotFound> (long id, TelemetryStore store) =>
            store.Log(id) is { } log ? TypedResults.Ok(log) : TypedResults.NotFound());
        api.MapGet("/traces", GetTraces);
        api.MapGet("/traces/{traceId}", Results<Ok<TraceDetail>, NotFound> (string traceId, TelemetryStore store) =>
            store.Trace(traceId) is { } trace ? TypedResults.Ok(trace) : TypedResults.NotFound());
        api.MapGet("/metrics", (string? resource, TelemetryStore store) => TypedResults.Ok(store.Instruments(resource)));
        api.MapGet("/metrics/{resource}/{name}", Results<Ok<InstrumentDetail>, NotFound> (string resource, string name, TelemetryStore store) =>
            store.Instrument(resource, name) is { } instrument ? TypedResults.Ok(instrument) : TypedResults.NotFound());
        return endpoints;
    }

    private static Results<Ok<IReadOnlyList<LogEntry>>, ProblemHttpResult> GetLogs(
        TelemetryStore store, string? resource, string? level, string? text, string? traceId, int? limit)
    {
        if (LogFilter.Read(level, limit) is not { } filter)
        {
            return LogFilter.Invalid();
        }

        return TypedResults.Ok(store.Logs(resource, filter.MinimumSeverity, text, traceId, filter.Limit));
    }

    private static Results<Ok<IReadOnlyList<TraceSummary>>, ProblemHttpResult> GetTraces(TelemetryStore store, string? resource, string? status, int? limit)
    {
        if (TraceFilter.Read(status, limit) is not { } filter)
        {
            return TraceFilter.Invalid();
        }

        return TypedResults.Ok(store.Traces(resource, filter.Errors, filter.Limit));
    }
}

/// <summary>The logs' level and limit query values, shared by the page and the API.</summary>
internal sealed record LogFilter(int MinimumSeverity, int Limit)
{
    public static readonly string[] Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    /// <summary>Null when a value is not one of <see cref="Levels"/> or the limit is out of 1..<see cref="TelemetryApi.MaxLimit"/>.</summary>
    public static LogFilter? Read(string? level, int? limit)
    {
        var index = string.IsNullOrEmpty(level) ? 0 : Array.FindIndex(Levels, l => l.Equals(level, StringComparison.OrdinalIgnoreCase));
        // OTLP severity numbers run in fours per level: Trace 1-4, Debug 5-8, Information 9-12, …
        return index < 0 || limit is < 1 or > TelemetryApi.MaxLimit ? null : new LogFilter(index * 4 + 1, limit ?? 200);
    }

    public static ProblemHttpResult Invalid() => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest, title: "Bad request",
        detail: $"level is one of {string.Join(", ", Levels)} (the least severe to show); limit is between 1 and {TelemetryApi.MaxLimit}.");
}

internal sealed record TraceFilter(bool? Errors, int Limit)
{
    /// <summary>status: error (a span failed), ok (none did) or nothing (all). Null when a value is not one of those.</summary>
    public static TraceFilter? Read(string? status, int? limit) =>
        limit is < 1 or > TelemetryApi.MaxLimit ? null : status?.ToLowerInvariant() switch
        {
            null or "" => new TraceFilter(null, limit ?? 100),
            "error" => new TraceFilter(true, limit ?? 100),
            "ok" => new TraceFilter(false, limit ?? 100),
            _ => null,
        };

    public static ProblemHttpResult Invalid() => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest, title: "Bad request",
        detail: $"status is error or ok; limit is between 1 and {TelemetryApi.MaxLimit}.");
}
