using Aspire.Hosting.Dashboard.Telemetry;
using Microsoft.Extensions.Options;

namespace SocialChat.Tests.Hosting;

/// <summary>The dashboard's memory stays bounded however long the system runs: the newest of each kind are kept.</summary>
public sealed class TelemetryStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TelemetryStore _store = new(Options.Create(new TelemetryLimits
    {
        MaxLogCount = 3, MaxTraceCount = 2, MaxSpansPerTrace = 2, MaxMetricPointsPerInstrument = 2,
    }));

    [Fact]
    public void Only_the_newest_logs_are_kept()
    {
        _store.AddLogs(Enumerable.Range(1, 5).Select(i => Log($"message {i}")));

        Assert.Equal(["message 5", "message 4", "message 3"], _store.Logs(null, 0, null, null, 100).Select(l => l.Message));
    }

    [Fact]
    public void The_oldest_trace_is_dropped_whole_and_a_trace_keeps_at_most_its_span_limit()
    {
        _store.AddSpans([Span("t1", "a"), Span("t2", "a")]);
        _store.AddSpans([Span("t2", "b"), Span("t2", "c"), Span("t3", "a", startSecond: 1)]);

        Assert.Null(_store.Trace("t1"));
        Assert.Equal(2, _store.Trace("t2")!.Spans.Count);
        Assert.Equal(["t3", "t2"], _store.Traces(null, null, 100).Select(t => t.TraceId));
    }

    [Fact]
    public void An_instrument_keeps_its_newest_exports_and_charts_a_counter_as_a_rate()
    {
        foreach (var (second, total) in new[] { (0, 10.0), (1, 20.0), (3, 60.0) })
        {
            _store.AddMetricPoint("api", "api", "SocialChat", "socialchat.messages.sent", "", "{message}", "counter", cumulative: true,
                new MetricPoint(Start.AddSeconds(second), total, null, []));
        }

        var instrument = _store.Instrument("api", "socialchat.messages.sent")!;
        Assert.Equal([20.0, 60.0], instrument.Points.Select(p => p.Value));
        Assert.Equal(20.0, Assert.Single(instrument.Chart).Value);
    }

    private static LogEntry Log(string message) =>
        new(0, Start, "api", "api", "SocialChat", "Information", 9, message, null, null, new Dictionary<string, string>());

    private static SpanEntry Span(string traceId, string spanId, int startSecond = 0) =>
        new(traceId, spanId, null, "GET /", "Server", Start.AddSeconds(startSecond), Start.AddSeconds(startSecond).AddMilliseconds(5), "api", "api", "test", "Unset", null, new Dictionary<string, string>(), []);
}
