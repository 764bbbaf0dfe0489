using Microsoft.Extensions.Options;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>
/// The telemetry the services export to the dashboard, in memory and bounded by <see cref="TelemetryLimits"/>:
/// the newest logs, traces and metric exports are kept, the oldest dropped. Written by the OTLP receiver,
/// read by the pages and the JSON API; one lock, since exports arrive about once a second per service.
/// </summary>
public sealed class TelemetryStore(IOptions<TelemetryLimits> limits)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<LogEntry> _logs = new();
    private readonly Dictionary<string, List<SpanEntry>> _traces = new(StringComparer.Ordinal);
    private readonly Queue<string> _traceOrder = new();
    private readonly Dictionary<(string Resource, string Meter, string Name), InstrumentSeries> _instruments = [];
    // Each instance (realtime-1) and the service it is an instance of (realtime), for filters naming either.
    private readonly Dictionary<string, string> _services = new(StringComparer.Ordinal);
    private long _nextLogId;

    public IReadOnlyList<string> Resources
    {
        get
        {
            lock (_lock)
            {
                return [.. _services.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    public void AddLogs(IEnumerable<LogEntry> entries)
    {
        lock (_lock)
        {
            foreach (var entry in entries)
            {
                _services[entry.Resource] = entry.Service;
                _logs.AddLast(entry with { Id = ++_nextLogId });
                if (_logs.Count > limits.Value.MaxLogCount)
                {
                    _logs.RemoveFirst();
                }
            }
        }
    }

    public void AddSpans(IEnumerable<SpanEntry> spans)
    {
        lock (_lock)
        {
            foreach (var span in spans)
            {
                _services[span.Resource] = span.Service;
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    _traces[span.TraceId] = trace = [];
                    _traceOrder.Enqueue(span.TraceId);
                    if (_traceOrder.Count > limits.Value.MaxTraceCount)
                    {
                        _traces.Remove(_traceOrder.Dequeue());
                    }
                }

                if (trace.Count < limits.Value.MaxSpansPerTrace)
                {
                    trace.Add(span);
                }
            }
        }
    }

    public void AddMetricPoint(string resource, string service, string meter, string name, string description, string unit, string kind, bool cumulative, MetricPoint point)
    {
        lock (_lock)
        {
            _services[resource] = service;
            if (!_instruments.TryGetValue((resource, meter, name), out var instrument))
            {
                _instruments[(resource, meter, name)] = instrument = new InstrumentSeries(resource, meter, name, description, unit, kind, cumulative);
            }

            instrument.Points.Enqueue(point);
            if (instrument.Points.Count > limits.Value.MaxMetricPointsPerInstrument)
            {
                instrument.Points.Dequeue();
            }
        }
    }

    /// <summary>Newest first. <paramref name="resource"/> matches an instance (<c>realtime-1</c>) or a service (<c>realtime</c>).</summary>
    public IReadOnlyList<LogEntry> Logs(string? resource, int minimumSeverity, string? text, string? traceId, int limit)
    {
        lock (_lock)
        {
            var matches = new List<LogEntry>();
            for (var node = _logs.Last; node is not null && matches.Count < limit; node = node.Previous)
            {
                var log = node.Value;
                if (IsOf(log.Resource, log.Service, resource) && log.SeverityNumber >= minimumSeverity
                    && (string.IsNullOrEmpty(traceId) || string.Equals(log.TraceId, traceId, StringComparison.OrdinalIgnoreCase))
                    && (string.IsNullOrEmpty(text) || Mentions(log, text)))
                {
                    matches.Add(log);
                }
            }

            return matches;
        }
    }

    public LogEntry? Log(long id)
    {
        lock (_lock)
        {
            return _logs.FirstOrDefault(l => l.Id == id);
        }
    }

    /// <summary>Newest first; a trace matches a resource when any of its spans comes from it. <paramref name="errors"/>: only failed (true) or only clean (false) traces.</summary>
    public IReadOnlyList<TraceSummary> Traces(string? resource, bool? errors, int limit)
    {
        lock (_lock)
        {
            return [.. _traces.Values
                .Select(Summarize)
                .Where(t => (resource is null || t.Resources.Any(r => IsOf(r, ServiceOf(r), resource))) && (errors is null || t.HasError == errors))
                .OrderByDescending(t => t.Start)
                .Take(limit)];
        }
    }

    public TraceDetail? Trace(string traceId)
    {
        lock (_lock)
        {
            if (!_traces.TryGetValue(traceId.ToLowerInvariant(), out var spans))
            {
                return null;
            }

            var summary = Summarize(spans);
            return new TraceDetail(summary, Waterfall(spans, summary.Start));
        }
    }

    public IReadOnlyList<InstrumentSummary> Instruments(string? resource)
    {
        lock (_lock)
        {
            return [.. _instruments.Values
                .Where(i => IsOf(i.Resource, ServiceOf(i.Resource), resource))
                .Select(i => i.Summary())
                .OrderBy(i => i.Resource, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal)];
        }
    }

    public InstrumentDetail? Instrument(string resource, string name)
    {
        lock (_lock)
        {
            var instrument = _instruments.Values.FirstOrDefault(i => i.Resource == resource && i.Name == name);
            if (instrument is null)
            {
                return null;
            }

            var points = instrument.Points.ToList();
            return new InstrumentDetail(instrument.Summary(), instrument.Cumulative, points, Chart(instrument.Kind, instrument.Cumulative, points));
        }
    }

    private static bool IsOf(string instance, string service, string? resource) =>
        string.IsNullOrEmpty(resource) || instance == resource || service == resource;

    private string ServiceOf(string instance) => _services.GetValueOrDefault(instance, instance);

    private static bool Mentions(LogEntry log, string text) =>
        log.Message.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Category.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Attributes.Values.Any(v => v.Contains(text, StringComparison.OrdinalIgnoreCase));

    private static TraceSummary Summarize(List<SpanEntry> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var root = spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).MinBy(s => s.Start) ?? spans.MinBy(s => s.Start)!;
        var start = spans.Min(s => s.Start);
        var end = spans.Max(s => s.End);
        return new TraceSummary(
            root.TraceId, root.Name, root.Resource, start, (end - start).TotalMilliseconds, spans.Count,
            spans.Any(s => s.Status == "Error"), [.. spans.Select(s => s.Resource).Distinct().Order(StringComparer.Ordinal)]);
    }

    /// <summary>Depth-first from each root, children in start order: the order a waterfall reads in.</summary>
    private static List<WaterfallRow> Waterfall(List<SpanEntry> spans, DateTimeOffset traceStart)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = spans.Where(s => s.ParentSpanId is not null && ids.Contains(s.ParentSpanId))
            .ToLookup(s => s.ParentSpanId!, StringComparer.Ordinal);
        var rows = new List<WaterfallRow>(spans.Count);
        void Visit(SpanEntry span, int depth)
        {
            rows.Add(new WaterfallRow(depth, (span.Start - traceStart).TotalMilliseconds, span));
            foreach (var child in children[span.SpanId].OrderBy(c => c.Start))
            {
                Visit(child, depth + 1);
            }
        }

        foreach (var root in spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).OrderBy(s => s.Start))
        {
            Visit(root, 0);
        }

        return rows;
    }

    private static List<ChartPoint> Chart(string kind, bool cumulative, List<MetricPoint> points)
    {
        if (kind is "gauge" or "updowncounter")
        {
            return [.. points.Select(p => new ChartPoint(p.Time, p.Value, null))];
        }

        var chart = new List<ChartPoint>(points.Count);
        for (var i = 1; i < points.Count; i++)
        {
            var seconds = (points[i].Time - points[i - 1].Time).TotalSeconds;
            if (seconds <= 0)
            {
                continue;
            }

            // Cumulative totals restart at 0 when a service restarts; a drop is a new start, not a negative rate.
            var count = cumulative ? points[i].Value - points[i - 1].Value : points[i].Value;
            var sum = cumulative ? points[i].Sum - points[i - 1].Sum : points[i].Sum;
            if (count < 0)
            {
                count = points[i].Value;
                sum = points[i].Sum;
            }

            chart.Add(new ChartPoint(points[i].Time, count / seconds, kind == "histogram" && count > 0 ? sum / count : null));
        }

        return chart;
    }

    private sealed class InstrumentSeries(string resource, string meter, string name, string description, string unit, string kind, bool cumulative)
    {
        public string Resource => resource;

        public string Name => name;

        public string Kind => kind;

        public bool Cumulative => cumulative;

        public Queue<MetricPoint> Points { get; } = new();

        public InstrumentSummary Summary()
        {
            var latest = Points.Last();
            return new InstrumentSummary(resource, meter, name, description, unit, kind, latest.Time, latest.Value);
        }
    }
}
