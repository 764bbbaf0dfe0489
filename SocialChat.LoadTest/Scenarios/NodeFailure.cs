using System.Diagnostics;
using System.Globalization;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// --node-failure: the Realtime node on the first --realtime URL ends by signal, SIGKILL as a crash or SIGTERM as a
/// rolling restart's stop, and every worker moves that node's clients to the other nodes, as a load balancer would send them.
/// </summary>
internal sealed class NodeFailure
{
    // A killed node's presence waits for its heartbeat to expire and the Worker's next sweep: the contract allows 60 s.
    private static readonly TimeSpan PresenceSettleTimeout = TimeSpan.FromSeconds(90);

    private long _signalledAt;
    private IReadOnlyList<WorkerEvent> _moved = [];
    private double _movedSeconds;

    private NodeFailure(string how, Uri node, int pid) => (How, Node, Pid) = (how, node, pid);

    public string How { get; }

    public Uri Node { get; }

    public int Pid { get; }

    /// <summary>The failure the options ask for, its process found now: finding it reads every open file of every process, slow once thousands are connected.</summary>
    public static NodeFailure? Of(LoadTestOptions options)
    {
        if (options.NodeFailure == "none")
        {
            return null;
        }

        var node = options.RealtimeUrls[0];
        var pid = LocalProcesses.Listening(node.Port) ?? throw new ArgumentException($"--node-failure: no process of this machine listens on {node}.");
        return new NodeFailure(options.NodeFailure, node, pid);
    }

    /// <summary>The clients connected elsewhere after the move.</summary>
    public int Moved => _moved.Sum(e => e.Connected);

    /// <summary>Signals the node, then waits for every worker's "connected" answer to the move (<paramref name="moves"/>).</summary>
    public async Task FailAsync(Func<Task<IReadOnlyList<WorkerEvent>>> moves, CancellationToken cancellationToken)
    {
        _signalledAt = Stopwatch.GetTimestamp();
        using (var signal = Process.Start("kill", ["-s", How == "kill" ? "KILL" : "TERM", Pid.ToString(CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync(cancellationToken);
        }

        _moved = await moves();
        _movedSeconds = Stopwatch.GetElapsedTime(_signalledAt).TotalSeconds;
    }

    /// <summary>
    /// What came of it, given the <paramref name="open"/> connections before the signal: the connections still open now,
    /// and for SocialChat when presence held exactly those again. <paramref name="cpu"/>: per moved client, or none.
    /// </summary>
    public async Task<FailoverReport> ReportAsync(
        WorkerFleet fleet, IReadOnlyList<RoleCpu> cpu, int open, LoadTestOptions options, Seeder seeder, SeedPlan seed, CancellationToken cancellationToken)
    {
        var nowOpen = open - _moved.Sum(e => e.Dropped) + Moved;
        var (presence, settled) = options.Server == "signalr"
            ? await ConnectScenario.SettledPresenceAsync(seeder, seed, nowOpen, PresenceSettleTimeout, _signalledAt, cancellationToken)
            : (null, null);

        // Still open at the end: fewer when a node that took the moved clients failed too.
        await fleet.SendAsync(new WorkerCommand("report"));
        var stillOpen = (await fleet.CollectAsync("received", cancellationToken)).Sum(e => e.Connected);
        return new FailoverReport(How, Node, Pid, _moved.Sum(e => e.Dropped), Moved, _moved.Sum(e => e.Failed), nowOpen - stillOpen, stillOpen,
            Stopwatch.GetElapsedTime(_signalledAt, _moved.Max(e => e.ClosedAt)).TotalSeconds, _movedSeconds, ConnectScenario.MergeErrors(_moved), cpu, presence, settled);
    }

    /// <summary>The report's rows, for connect and chat alike.</summary>
    public static IEnumerable<(string, object?)> Rows(FailoverReport? failover) => failover is null ? [] :
    [
        ($"node {(failover.How == "kill" ? "killed" : "stopped")} → its clients moved (failed)", $"{failover.FailedNode} (pid {failover.Pid}): {failover.Dropped:N0} → {failover.Connected:N0} ({failover.Failed:N0})"),
        ("dropped since the move", $"{failover.DroppedLater:N0}"),
        ("all closed · all moved", $"{failover.ClosedSeconds:F1} s · {failover.Seconds:F1} s after the signal"),
        // In chat the moves share their seconds with the messages, so no CPU is told apart for them.
        .. failover.Cpu.Count == 0 ? [] : new[] { ("CPU while moving", (object?)ProcessCpu.Format(failover.Cpu, "connect")) },
        ("connections in presence after", failover.PresenceConnections is { } present ? $"{present:N0} of {failover.Open:N0} open ({failover.SettledSeconds:F1} s after the signal)" : "n/a (not SocialChat)"),
        ("failover errors", failover.Errors),
    ];

    /// <summary>Every moved client connected and stayed, and presence (SocialChat's) holds exactly the open connections.</summary>
    public static bool Held(FailoverReport? failover) =>
        failover is null || (failover is { Failed: 0, DroppedLater: 0 } && (failover.PresenceConnections is null || failover.PresenceConnections == failover.Open));
}
