using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace SocialChat.LoadTest.Reporting;

internal sealed record ConnectReport(
    int Users,
    int Workers,
    int RealtimeProcesses,
    int Connected,
    int Failed,
    int Dropped,
    double ConnectSeconds,
    double ConnectsPerSecond,
    Dictionary<string, int> Errors,
    IReadOnlyList<ProcessMemory> MemoryBefore,
    IReadOnlyList<ProcessMemory> MemoryAfter,
    double RssKiBPerConnection,
    double? LiveHeapKiBPerConnection,
    IReadOnlyList<RoleCpu> HoldCpu,
    IReadOnlyList<RoleCpu> ConnectCpu,
    ReconnectReport? Reconnect,
    FailoverReport? Failover);

/// <summary>
/// connect --reconnect: every open connection dropped at once (Dropped of them) and opened again; Cpu is per reconnect.
/// PresenceConnections: the run's users' connections in SocialChat's presence (Redis) once the nodes had let go of the
/// dropped ones, SettledSeconds after the last reconnect (null against another server).
/// </summary>
internal sealed record ReconnectReport(
    int Dropped,
    int Connected,
    int Failed,
    double Seconds,
    double ConnectsPerSecond,
    Dictionary<string, int> Errors,
    IReadOnlyList<RoleCpu> Cpu,
    long? PresenceConnections,
    double? SettledSeconds);

/// <summary>
/// connect and chat --node-failure: the node at FailedNode (process Pid) killed or stopped (How); its clients (Dropped) had
/// all seen their connections close ClosedSeconds after the signal, and were connected to the other nodes (Connected,
/// Failed) Seconds after it; DroppedLater of the run's connections closed after that (a node that took them failed too),
/// which left Open connections; Cpu is per moved client (connect only: in chat the moves share their seconds with the
/// messages). PresenceConnections: the run's users' connections in SocialChat's presence
/// once it no longer held the failed node's, SettledSeconds after the signal (null against another server).
/// </summary>
internal sealed record FailoverReport(
    string How,
    Uri FailedNode,
    int Pid,
    int Dropped,
    int Connected,
    int Failed,
    int DroppedLater,
    int Open,
    double ClosedSeconds,
    double Seconds,
    Dictionary<string, int> Errors,
    IReadOnlyList<RoleCpu> Cpu,
    long? PresenceConnections,
    double? SettledSeconds);

/// <summary>One step of chat at a fixed rate. Retried: sends that failed with their node and were sent again after the move (--node-failure).</summary>
internal sealed record StepReport(
    int Step,
    double Rate,
    double Seconds,
    long Sent,
    long Acked,
    long Retried,
    long ExpectedDeliveries,
    long Deliveries,
    double DeliveriesPerSecond,
    LatencySummary Latency,
    LatencySummary AckLatency,
    Dictionary<string, int> Errors,
    IReadOnlyList<LatencyBucket> LatencyDistribution,
    IReadOnlyList<long> DeliveriesEachSecond,
    IReadOnlyList<RoleCpu> Cpu,
    LoadToolGc LoadToolGc);

internal sealed record ChatReport(
    int Users,
    int Workers,
    int Conversations,
    string Via,
    int Connected,
    int Failed,
    int Dropped,
    IReadOnlyList<StepReport> Steps,
    StepReport? WarmUp,
    long Sent,
    long Acked,
    long Committed,
    long Expected,
    long Delivered,
    long CaughtUp,
    long Lost,
    StepReport? BestSustained,
    string? StoppedBecause,
    FailoverReport? Failover);

internal sealed record OperationReport(long Count, long Ok, double OkPerSecond, LatencySummary Latency, Dictionary<string, int> Errors);

internal sealed record GroupReport(
    string Change, int Members, int Online, int History, double Rate, double Seconds, OperationReport Changes, long Expected, long Heard,
    OperationReport Messages, long MessagesExpected, long MessagesHeard, IReadOnlyList<RoleCpu> Cpu);

internal sealed record ApiReport(int Users, int Conversations, double Rate, double Seconds, OperationReport Reads, OperationReport Sends, IReadOnlyList<RoleCpu> Cpu);

internal sealed record CommitReport(
    int Users,
    int Conversations,
    int Concurrency,
    int Committers,
    double Seconds,
    int Rounds,
    long WarmUpSends,
    OperationReport Sends,
    long Stored,
    long Commits,
    double SendsPerCommit,
    OperationReport SingleRowInserts,
    IReadOnlyList<RoleCpu> SendCpu,
    IReadOnlyList<RoleCpu> InsertCpu);

/// <summary>Writes a report as JSON (for scripts and tests) and as a table (for people).</summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task WriteAsync<T>(T report, string? path, string title, IEnumerable<(string Name, object? Value)> rows)
    {
        if (path is not null)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json));
        }

        var table = new Table().Title(title).AddColumn("measure").AddColumn("value");
        foreach (var (name, value) in rows)
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(Format(value)));
        }

        AnsiConsole.Write(table);
    }

    public static string Format(object? value) => value switch
    {
        double d => d.ToString("N1", CultureInfo.InvariantCulture),
        long or int => string.Format(CultureInfo.InvariantCulture, "{0:N0}", value),
        LatencySummary l => string.Create(CultureInfo.InvariantCulture, $"p50 {l.P50Ms:F1} · p90 {l.P90Ms:F1} · p99 {l.P99Ms:F1} · max {l.MaxMs:F1} ms ({l.Count:N0})"),
        IDictionary<string, int> errors => errors.Count == 0 ? "none" : string.Join("; ", errors.Select(e => $"{e.Value}× {e.Key}")),
        null => "",
        _ => value.ToString() ?? "",
    };
}
