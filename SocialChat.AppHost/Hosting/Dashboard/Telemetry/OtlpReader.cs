using System.Globalization;
using Aspire.Hosting.Dashboard.Telemetry.Otlp;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>Turns OTLP export requests into the store's entries, naming each resource after its instance.</summary>
internal static class OtlpReader
{
    public static void ReadInto(TelemetryStore store, ExportLogsServiceRequest request)
    {
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var (resource, service) = NameOf(resourceLogs.Resource);
            store.AddLogs(resourceLogs.ScopeLogs.SelectMany(scope => scope.LogRecords.Select(record => new LogEntry(
                Id: 0,
                Timestamp: TimeOf(record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano),
                resource,
                service,
                Category: scope.Scope?.Name ?? "",
                Level: LevelOf(record.SeverityNumber, record.SeverityText),
                record.SeverityNumber,
                Message: record.Body is null ? record.EventName : TextOf(record.Body),
                TraceId: IdOf(record.TraceId),
                SpanId: IdOf(record.SpanId),
                AttributesOf(record.Attributes)))));
        }
    }

    public static void ReadInto(TelemetryStore store, ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var (resource, service) = NameOf(resourceSpans.Resource);
            store.AddSpans(resourceSpans.ScopeSpans.SelectMany(scope => scope.Spans.Select(span => new SpanEntry(
                IdOf(span.TraceId) ?? "",
                IdOf(span.SpanId) ?? "",
                IdOf(span.ParentSpanId),
                span.Name,
                Kind: span.Kind switch
                {
                    Span.Types.SpanKind.Server => "Server",
                    Span.Types.SpanKind.Client => "Client",
                    Span.Types.SpanKind.Producer => "Producer",
                    Span.Types.SpanKind.Consumer => "Consumer",
                    _ => "Internal",
                },
                TimeOf(span.StartTimeUnixNano),
                TimeOf(span.EndTimeUnixNano),
                resource,
                service,
                Scope: scope.Scope?.Name ?? "",
                Status: span.Status?.Code switch
                {
                    Status.Types.StatusCode.Error => "Error",
                    Status.Types.StatusCode.Ok => "Ok",
                    _ => "Unset",
                },
                StatusMessage: string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message,
                AttributesOf(span.Attributes),
                [.. span.Events.Select(e => new SpanEventEntry(TimeOf(e.TimeUnixNano), e.Name, AttributesOf(e.Attributes)))]))));
        }
    }

    public static void ReadInto(TelemetryStore store, ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var (resource, service) = NameOf(resourceMetrics.Resource);
            foreach (var scope in resourceMetrics.ScopeMetrics)
            {
                foreach (var metric in scope.Metrics)
                {
                    var (kind, cumulative, series) = Read(metric);
                    if (kind is null || series.Count == 0)
                    {
                        continue;
                    }

                    var point = new MetricPoint(TimeOf(series.Max(s => s.Time)), series.Sum(s => s.Value.Value), kind == "histogram" ? series.Sum(s => s.Value.Sum ?? 0) : null, [.. series.Select(s => s.Value)]);
                    store.AddMetricPoint(resource, service, scope.Scope?.Name ?? "", metric.Name, metric.Description, metric.Unit, kind, cumulative, point);
                }
            }
        }
    }

    private static (string? Kind, bool Cumulative, List<(ulong Time, MetricSeriesValue Value)> Series) Read(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Gauge => ("gauge", false, Numbers(metric.Gauge.DataPoints)),
        Metric.DataOneofCase.Sum => (metric.Sum.IsMonotonic ? "counter" : "updowncounter",
            metric.Sum.AggregationTemporality != AggregationTemporality.Delta, Numbers(metric.Sum.DataPoints)),
        Metric.DataOneofCase.Histogram => ("histogram", metric.Histogram.AggregationTemporality != AggregationTemporality.Delta,
            [.. metric.Histogram.DataPoints.Select(p => (p.TimeUnixNano, new MetricSeriesValue(AttributesOf(p.Attributes), p.Count, p.HasSum ? p.Sum : null)))]),
        _ => (null, false, []),
    };

    private static List<(ulong Time, MetricSeriesValue Value)> Numbers(RepeatedField<NumberDataPoint> points) =>
        [.. points.Select(p => (p.TimeUnixNano, new MetricSeriesValue(
            AttributesOf(p.Attributes), p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : p.AsDouble, null)))];

    /// <summary>The app host names each instance in <c>service.instance.id</c>; a sender without one is named by its service.</summary>
    private static (string Resource, string Service) NameOf(Otlp.Resource? resource)
    {
        Dictionary<string, string> attributes = resource is null ? [] : AttributesOf(resource.Attributes);
        var service = attributes.GetValueOrDefault("service.name") ?? "unknown";
        return (attributes.GetValueOrDefault("service.instance.id") ?? service, service);
    }

    private static DateTimeOffset TimeOf(ulong unixNanoseconds) =>
        unixNanoseconds == 0 ? DateTimeOffset.UtcNow : DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanoseconds / 100));

    private static string? IdOf(ByteString id) => id.IsEmpty || id.All(b => b == 0) ? null : Convert.ToHexStringLower(id.Span);

    private static string LevelOf(int severityNumber, string severityText) => severityNumber switch
    {
        >= 21 => "Critical",
        >= 17 => "Error",
        >= 13 => "Warning",
        >= 9 => "Information",
        >= 5 => "Debug",
        >= 1 => "Trace",
        _ => string.IsNullOrEmpty(severityText) ? "Unspecified" : severityText,
    };

    private static Dictionary<string, string> AttributesOf(RepeatedField<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = attribute.Value is null ? "" : TextOf(attribute.Value);
        }

        return result;
    }

    private static string TextOf(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(TextOf)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}: {(kv.Value is null ? "" : TextOf(kv.Value))}")) + "}",
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        _ => "",
    };
}
