using System.Globalization;
using System.Text.Json;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace SocialChat.LoadTest.Reporting;

/// <summary>
/// Pictures of chat reports for BENCHMARKS.md, several runs side by side (SocialChat and the peer, before and after a
/// change): <c>latency.png</c>, how end-to-end delivery latency is distributed; <c>deliveries.png</c>, deliveries per
/// second over each run; <c>ramp.png</c>, p99 against deliveries per second for ramped runs.
/// </summary>
internal static class Plots
{
    public const string Command = "plot";

    private const int Width = 900;
    private const int Height = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary><c>plot --out DIR NAME=REPORT.json [NAME=REPORT.json …]</c>, the reports written by <c>chat --report</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var outIndex = Array.IndexOf(args, "--out");
        var runs = args.Where((a, i) => a.Contains('=') && i != outIndex + 1).Select(a => a.Split('=', 2)).ToList();
        if (outIndex < 0 || outIndex + 1 >= args.Length || runs.Count == 0)
        {
            await Console.Error.WriteLineAsync("usage: SocialChat.LoadTest plot --out DIR NAME=CHAT-REPORT.json [NAME=CHAT-REPORT.json …]");
            return 2;
        }

        var reports = new List<(string Name, ChatReport Report)>();
        foreach (var run in runs)
        {
            reports.Add((run[0], JsonSerializer.Deserialize<ChatReport>(await File.ReadAllTextAsync(run[1]), Json)!));
        }

        var folder = Directory.CreateDirectory(args[outIndex + 1]).FullName;
        Latency(reports, Path.Combine(folder, "latency.png"));
        DeliveriesOverTime(reports, Path.Combine(folder, "deliveries.png"));
        if (reports.Any(r => r.Report.Steps.Count > 1))
        {
            Ramp(reports, Path.Combine(folder, "ramp.png"));
        }

        Console.WriteLine($"plots written to {folder}");
        return 0;
    }

    /// <summary>The share of deliveries that arrived within each latency, on a log scale: the tail is what differs.</summary>
    private static void Latency(IEnumerable<(string Name, ChatReport Report)> reports, string path)
    {
        var plot = new Plot();
        foreach (var (name, report) in reports)
        {
            // A ramp's highest step within the p99 limit, else its only (or first) step.
            var step = report.BestSustained ?? report.Steps.FirstOrDefault();
            if (step is null || step.LatencyDistribution.Count == 0)
            {
                continue;
            }

            var total = (double)step.LatencyDistribution.Sum(b => b.Count);
            var cumulative = 0L;
            var xs = step.LatencyDistribution.Select(b => Math.Log10(Math.Max(b.UpToMs, 0.01))).ToArray();
            var ys = step.LatencyDistribution.Select(b => 100 * (cumulative += b.Count) / total).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name}: {step.Rate:N0} msg/s, p99 {step.Latency.P99Ms:F1} ms");
        }

        plot.Axes.Bottom.TickGenerator = LogScale();
        Save(plot, path, "End-to-end delivery latency", "send → delivered (ms, log scale)", "deliveries within (%)", Alignment.LowerRight);
    }

    private static void Save(Plot plot, string path, string title, string xLabel, string yLabel, Alignment legend)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(legend);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>ScottPlot 5 has no log axis: the values are plotted as log10, and the ticks say what they stand for.</summary>
    private static NumericAutomatic LogScale() => new()
    {
        MinorTickGenerator = new LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = exponent => Math.Pow(10, exponent).ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static void DeliveriesOverTime(IEnumerable<(string Name, ChatReport Report)> reports, string path)
    {
        var plot = new Plot();
        foreach (var (name, report) in reports)
        {
            var series = report.Steps.SelectMany(s => s.DeliveriesEachSecond).Select(c => (double)c).ToArray();
            if (series.Length > 0)
            {
                plot.Add.ScatterLine(Enumerable.Range(0, series.Length).Select(i => (double)i).ToArray(), series).LegendText = name;
            }
        }

        Save(plot, path, "Deliveries per second", "second of the run (steps back to back)", "deliveries / s", Alignment.UpperLeft);
    }

    private static void Ramp(IEnumerable<(string Name, ChatReport Report)> reports, string path)
    {
        var plot = new Plot();
        foreach (var (name, report) in reports.Where(r => r.Report.Steps.Count > 0))
        {
            var line = plot.Add.Scatter(
                report.Steps.Select(s => s.DeliveriesPerSecond).ToArray(),
                report.Steps.Select(s => Math.Log10(Math.Max(s.Latency.P99Ms, 0.01))).ToArray());
            line.LegendText = name;
        }

        var limit = plot.Add.HorizontalLine(Math.Log10(100));
        limit.LegendText = "p99 = 100 ms";
        limit.LinePattern = LinePattern.Dashed;
        plot.Axes.Left.TickGenerator = LogScale();
        Save(plot, path, "Rising send rate: p99 latency against deliveries per second", "deliveries / s", "p99 (ms, log scale)", Alignment.UpperLeft);
    }
}
