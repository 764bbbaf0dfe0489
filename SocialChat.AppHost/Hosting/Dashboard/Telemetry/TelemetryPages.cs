using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using static System.Net.WebUtility;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>
/// Structured logs, traces and metrics as plain server-rendered pages: filters are GET forms, so every view
/// is a link one can share or reload; the metric chart reloads itself every few seconds.
/// </summary>
internal static class TelemetryPages
{
    private const string Style = """
        body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
        nav a { margin-right: 1rem; } form { margin: .8rem 0; } form > * { margin-right: .5rem; }
        table { border-collapse: collapse; width: 100%; } th { background: #f4f4f4; }
        th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
        .Warning { color: #8a6d00; font-weight: 600; } .Error, .Critical { color: #b00020; font-weight: 600; }
        .mono, code { font-family: monospace; font-size: 12px; } details summary { cursor: pointer; }
        .track { position: relative; height: 14px; min-width: 24rem; background: #f4f4f4; }
        .bar { position: absolute; top: 0; height: 14px; min-width: 2px; border-radius: 2px; }
        svg { background: #fafafa; border: 1px solid #ddd; }
        """;

    private static readonly string[] BarColors = ["#3568d4", "#0a7a2f", "#b35c00", "#7a3bb0", "#b00020", "#00838f", "#6d6d00"];

    public static IEndpointRouteBuilder MapTelemetryPages(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/logs", LogsPage);
        endpoints.MapGet("/traces", TracesPage);
        endpoints.MapGet("/traces/{traceId}", TracePage);
        endpoints.MapGet("/metrics", MetricsPage);
        endpoints.MapGet("/metrics/{resource}/{name}", InstrumentPage);
        return endpoints;
    }

    private static Results<ContentHttpResult, ProblemHttpResult> LogsPage(
        TelemetryStore store, string? resource, string? level, string? text, string? traceId, int? limit)
    {
        if (LogFilter.Read(level, limit) is not { } filter)
        {
            return LogFilter.Invalid();
        }

        var html = new StringBuilder();
        html.Append("<form>").Append(ResourceSelect(store, resource))
            .Append("<select name=\"level\"><option value=\"\">any level</option>")
            .AppendJoin("", LogFilter.Levels.Select(l => Option(l, $"{l} and above", level)))
            .Append("</select>")
            .Append(CultureInfo.InvariantCulture, $"<input name=\"text\" placeholder=\"text\" value=\"{HtmlEncode(text)}\">")
            .Append(CultureInfo.InvariantCulture, $"<input name=\"traceId\" placeholder=\"trace id\" size=\"34\" value=\"{HtmlEncode(traceId)}\">")
            .Append("<button>Filter</button></form>")
            .Append("<table><thead><tr><th>Time</th><th>Resource</th><th>Level</th><th>Category</th><th>Message</th><th>Trace</th></tr></thead><tbody>");
        foreach (var log in store.Logs(resource, filter.MinimumSeverity, text, traceId, filter.Limit))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(log.Timestamp)}</td><td>{HtmlEncode(log.Resource)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"{log.Level}\">{log.Level}</td><td class=\"mono\">{HtmlEncode(log.Category)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><details><summary>{HtmlEncode(log.Message)}</summary>{Attributes(log.Attributes)}</details></td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{(log.TraceId is null ? "" : $"<a class=\"mono\" href=\"/traces/{log.TraceId}\">{log.TraceId[..8]}</a>")}</td></tr>");
        }

        html.Append("</tbody></table>");
        return Page("Structured logs", html.ToString());
    }

    private static Results<ContentHttpResult, ProblemHttpResult> TracesPage(TelemetryStore store, string? resource, string? status, int? limit)
    {
        if (TraceFilter.Read(status, limit) is not { } filter)
        {
            return TraceFilter.Invalid();
        }

        var html = new StringBuilder();
        html.Append("<form>").Append(ResourceSelect(store, resource))
            .Append("<select name=\"status\"><option value=\"\">any status</option>")
            .Append(Option("error", "with errors", status)).Append(Option("ok", "without errors", status))
            .Append("</select><button>Filter</button></form>")
            .Append("<table><thead><tr><th>Time</th><th>Name</th><th>Resources</th><th>Duration</th><th>Spans</th><th>Status</th></tr></thead><tbody>");
        foreach (var trace in store.Traces(resource, filter.Errors, filter.Limit))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(trace.Start)}</td><td><a href=\"/traces/{trace.TraceId}\">{HtmlEncode(trace.Name)}</a></td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{HtmlEncode(string.Join(", ", trace.Resources))}</td><td>{Milliseconds(trace.DurationMs)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{trace.SpanCount}</td><td class=\"{(trace.HasError ? "Error" : "")}\">{(trace.HasError ? "Error" : "")}</td></tr>");
        }

        html.Append("</tbody></table>");
        return Page("Traces", html.ToString());
    }

    private static Results<ContentHttpResult, NotFound> TracePage(TelemetryStore store, string traceId)
    {
        if (store.Trace(traceId) is not { } trace)
        {
            return TypedResults.NotFound();
        }

        var total = Math.Max(trace.Summary.DurationMs, 0.001);
        var colors = trace.Summary.Resources.Select((r, i) => (r, BarColors[i % BarColors.Length])).ToDictionary();
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p><code>{trace.Summary.TraceId}</code>: {Milliseconds(trace.Summary.DurationMs)}, {trace.Summary.SpanCount} spans across ")
            .AppendJoin(", ", trace.Summary.Resources.Select(r => $"<span style=\"color:{colors[r]}\">{HtmlEncode(r)}</span>"))
            .Append(CultureInfo.InvariantCulture, $" · <a href=\"/logs?traceId={trace.Summary.TraceId}\">its logs</a></p>")
            .Append("<table><thead><tr><th>Span</th><th>Resource</th><th>Kind</th><th>Duration</th><th>Timeline</th></tr></thead><tbody>");
        foreach (var row in trace.Spans)
        {
            var span = row.Span;
            var status = span.Status == "Error" ? $" <span class=\"Error\">Error{(span.StatusMessage is null ? "" : ": " + HtmlEncode(span.StatusMessage))}</span>" : "";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"padding-left:{0.6 + row.Depth * 1.2:0.#}rem\"><details><summary>{HtmlEncode(span.Name)}{status}</summary>")
                .Append(CultureInfo.InvariantCulture, $"<div class=\"mono\">{HtmlEncode(span.Scope)} · span {span.SpanId}</div>{Attributes(span.Attributes)}")
                .AppendJoin("", span.Events.Select(e => $"<div>event <b>{HtmlEncode(e.Name)}</b> at {Time(e.Timestamp)}{Attributes(e.Attributes)}</div>"))
                .Append(CultureInfo.InvariantCulture, $"</details></td><td>{HtmlEncode(span.Resource)}</td><td>{span.Kind}</td><td>{Milliseconds(span.DurationMs)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><div class=\"track\"><div class=\"bar\" style=\"left:{row.OffsetMs / total * 100:0.##}%;width:{span.DurationMs / total * 100:0.##}%;background:{colors[span.Resource]}\"></div></div></td></tr>");
        }

        html.Append("</tbody></table>");
        return Page($"Trace {trace.Summary.Name}", html.ToString());
    }

    private static ContentHttpResult MetricsPage(TelemetryStore store, string? resource)
    {
        var html = new StringBuilder();
        html.Append("<form>").Append(ResourceSelect(store, resource)).Append("<button>Filter</button></form>")
            .Append("<table><thead><tr><th>Resource</th><th>Instrument</th><th>Kind</th><th>Latest</th><th>Description</th></tr></thead><tbody>");
        foreach (var instrument in store.Instruments(resource))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{HtmlEncode(instrument.Resource)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><a href=\"/metrics/{UrlEncode(instrument.Resource)}/{UrlEncode(instrument.Name)}\">{HtmlEncode(instrument.Name)}</a> <span class=\"mono\">{HtmlEncode(instrument.Meter)}</span></td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{instrument.Kind}</td><td>{Number(instrument.LatestValue)} {HtmlEncode(instrument.Unit)}</td><td>{HtmlEncode(instrument.Description)}</td></tr>");
        }

        html.Append("</tbody></table>");
        return Page("Metrics", html.ToString());
    }

    private static Results<ContentHttpResult, NotFound> InstrumentPage(TelemetryStore store, string resource, string name)
    {
        if (store.Instrument(resource, name) is not { } instrument)
        {
            return TypedResults.NotFound();
        }

        var summary = instrument.Summary;
        var (what, unit) = summary.Kind switch
        {
            "gauge" or "updowncounter" => ("value", summary.Unit),
            "histogram" => ("recordings per second (and their mean)", summary.Unit),
            _ => ("per second", summary.Unit + "/s"),
        };
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p>{HtmlEncode(summary.Description)} <span class=\"mono\">{HtmlEncode(summary.Meter)}</span> on {HtmlEncode(summary.Resource)}; the chart shows the {what} over the last {instrument.Points.Count} exports.</p>")
            .Append(Chart(instrument.Chart, summary.Kind == "histogram" ? "" : unit))
            .Append("<h2>Latest values</h2><table><thead><tr><th>Attributes</th><th>")
            .Append(summary.Kind == "histogram" ? "Count</th><th>Sum" : "Value")
            .Append("</th></tr></thead><tbody>");
        foreach (var series in instrument.Points.Count == 0 ? [] : instrument.Points[^1].Series)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"mono\">{HtmlEncode(string.Join(", ", series.Attributes.Select(a => $"{a.Key}={a.Value}")))}</td><td>{Number(series.Value)}</td>")
                .Append(series.Sum is { } sum ? $"<td>{Number(sum)} {HtmlEncode(summary.Unit)}</td>" : "")
                .Append("</tr>");
        }

        html.Append("</tbody></table>");
        return Page(summary.Name, html.ToString(), refreshSeconds: 5);
    }

    /// <summary>A line per value (and, for histograms, a dashed line per mean) on its own scale.</summary>
    private static string Chart(IReadOnlyList<ChartPoint> points, string unit)
    {
        const int Width = 900, Height = 220;
        if (points.Count < 2)
        {
            return "<p>Waiting for more exports…</p>";
        }

        var start = points[0].Time;
        var seconds = Math.Max((points[^1].Time - start).TotalSeconds, 1);
        string Line(IEnumerable<(DateTimeOffset Time, double Value)> values, double max) => string.Join(" ", values.Select(v =>
            FormattableString.Invariant($"{(v.Time - start).TotalSeconds / seconds * Width:0.#},{Height - v.Value / max * (Height - 20):0.#}")));

        var max = Math.Max(points.Max(p => p.Value), 1e-9);
        var means = points.Where(p => p.Mean is not null).Select(p => (p.Time, p.Mean!.Value)).ToList();
        var meanMax = means.Count == 0 ? 1 : Math.Max(means.Max(m => m.Value), 1e-9);
        return FormattableString.Invariant($"""
            <svg width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}">
            <polyline fill="none" stroke="#3568d4" stroke-width="2" points="{Line(points.Select(p => (p.Time, p.Value)), max)}"/>
            {(means.Count == 0 ? "" : $"<polyline fill=\"none\" stroke=\"#b35c00\" stroke-dasharray=\"4 3\" points=\"{Line(means, meanMax)}\"/>")}
            <text x="4" y="14" font-size="12">max {Number(max)} {HtmlEncode(unit)}{(means.Count == 0 ? "" : $" · mean (dashed) up to {Number(meanMax)}")}</text>
            <text x="4" y="{Height - 4}" font-size="12">{Time(start)}</text><text x="{Width - 80}" y="{Height - 4}" font-size="12">{Time(points[^1].Time)}</text>
            </svg>
            """);
    }

    private static ContentHttpResult Page(string title, string body, int? refreshSeconds = null) => TypedResults.Content($"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{HtmlEncode(title)} · SocialChat dashboard</title>
        {(refreshSeconds is { } seconds ? $"<meta http-equiv=\"refresh\" content=\"{seconds}\">" : "")}
        <style>{Style}</style></head>
        <body><nav><a href="/">Resources</a><a href="/logs">Structured logs</a><a href="/traces">Traces</a><a href="/metrics">Metrics</a></nav>
        <h1>{HtmlEncode(title)}</h1>
        {body}
        </body></html>
        """, "text/html; charset=utf-8");

    private static string ResourceSelect(TelemetryStore store, string? selected) =>
        "<select name=\"resource\"><option value=\"\">all resources</option>"
        + string.Concat(store.Resources.Select(r => Option(r, r, selected))) + "</select>";

    private static string Option(string value, string label, string? selected) =>
        $"<option value=\"{HtmlEncode(value)}\"{(string.Equals(value, selected, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{HtmlEncode(label)}</option>";

    private static string Attributes(IReadOnlyDictionary<string, string> attributes) =>
        attributes.Count == 0 ? "" : "<div class=\"mono\">" + string.Join("<br>", attributes.Select(a => $"{HtmlEncode(a.Key)} = {HtmlEncode(a.Value)}")) + "</div>";

    private static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static string Milliseconds(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";

    private static string Number(double value) => value.ToString(Math.Abs(value) >= 100 || value == Math.Floor(value) ? "#,0" : "0.###", CultureInfo.InvariantCulture);
}
