using System.ComponentModel.DataAnnotations;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>How much telemetry the dashboard keeps (<c>Dashboard__TelemetryLimits__*</c>): the newest of each kind, the oldest dropped first.</summary>
public sealed class TelemetryLimits
{
    public const string SectionName = "Dashboard:TelemetryLimits";

    [Range(1, 1_000_000)]
    public int MaxLogCount { get; set; } = 10_000;

    [Range(1, 1_000_000)]
    public int MaxTraceCount { get; set; } = 5_000;

    [Range(1, 100_000)]
    public int MaxSpansPerTrace { get; set; } = 1_000;

    /// <summary>Exports kept per instrument and resource: at the 1 s interval the app host sets, the last 10 minutes.</summary>
    [Range(2, 100_000)]
    public int MaxMetricPointsPerInstrument { get; set; } = 600;
}

/// <summary>One structured log record. <see cref="Resource"/> is the instance (<c>realtime-1</c>), <see cref="Service"/> its service.</summary>
public sealed record LogEntry(
    long Id,
    DateTimeOffset Timestamp,
    string Resource,
    string Service,
    string Category,
    string Level,
    int SeverityNumber,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, string> Attributes);

public sealed record SpanEventEntry(DateTimeOffset Timestamp, string Name, IReadOnlyDictionary<string, string> Attributes);

public sealed record SpanEntry(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    DateTimeOffset Start,
    DateTimeOffset End,
    string Resource,
    string Service,
    string Scope,
    string Status,
    string? StatusMessage,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<SpanEventEntry> Events)
{
    public double DurationMs => (End - Start).TotalMilliseconds;
}

/// <summary>A trace as the list shows it: named after its root span.</summary>
public sealed record TraceSummary(
    string TraceId, string Name, string Resource, DateTimeOffset Start, double DurationMs, int SpanCount, bool HasError, IReadOnlyList<string> Resources);

/// <summary>A span's row in the waterfall: its depth under the root and where it starts, from the trace's start.</summary>
public sealed record WaterfallRow(int Depth, double OffsetMs, SpanEntry Span);

public sealed record TraceDetail(TraceSummary Summary, IReadOnlyList<WaterfallRow> Spans);

/// <summary>gauge, counter (a monotonic sum), updowncounter (a non-monotonic sum) or histogram.</summary>
public sealed record InstrumentSummary(
    string Resource, string Meter, string Name, string Description, string Unit, string Kind, DateTimeOffset LatestAt, double LatestValue);

/// <summary>One attribute set's value in one export; for a histogram <c>Value</c> is the count, with its sum.</summary>
public sealed record MetricSeriesValue(IReadOnlyDictionary<string, string> Attributes, double Value, double? Sum);

/// <summary>One export of an instrument: <see cref="Value"/> adds up every attribute set, <see cref="Sum"/> the histograms' sums.</summary>
public sealed record MetricPoint(DateTimeOffset Time, double Value, double? Sum, IReadOnlyList<MetricSeriesValue> Series);

/// <summary>
/// What the chart draws: values for gauges and up-down counters; for counters and histograms the rate per
/// second between exports (and a histogram's mean of what was recorded in between).
/// </summary>
public sealed record ChartPoint(DateTimeOffset Time, double Value, double? Mean);

public sealed record InstrumentDetail(InstrumentSummary Summary, bool Cumulative, IReadOnlyList<MetricPoint> Points, IReadOnlyList<ChartPoint> Chart);
