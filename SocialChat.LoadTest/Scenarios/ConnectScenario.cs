using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Realtime;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;
using StackExchange.Redis;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// N idle authenticated hub connections over WebSockets, spread over the Realtime URLs and worker processes:
/// connect rate, failures, and the Realtime processes' resident memory per connection.
/// </summary>
internal static class ConnectScenario
{
    private static readonly TimeSpan PresenceSettleTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        var realtimePids = ServerMemory.RealtimeProcesses(options);
        var nodeFailure = NodeFailure.Of(options);
        await using var seeder = new Seeder(options);
        // No conversations: what is measured is the cost of a connection itself.
        var seed = await seeder.SeedAsync(options.Users, groups: 0, options.GroupSize, directs: 0, historyPerConversation: 0, new Progress<string>(ProgressView.Line), cancellationToken);
        var before = await ServerMemory.SampleAsync(realtimePids);

        await using var fleet = await WorkerFleet.StartAsync(options, seed);
        var cpu = ProcessCpu.Of(options, fleet); // before connecting: finding the listeners reads every open file of every process
        var connectStart = cpu.Sample();
        var connected = await ConnectAllAsync(fleet, options.Users, cancellationToken);
        var count = connected.Sum(e => e.Connected);
        var connectCpu = cpu.Between(connectStart, cpu.Sample(), count);

        ProgressView.Line($"holding {count:N0} connections for {options.Hold} s");
        var cpuAtStart = cpu.Sample();
        await Task.Delay(TimeSpan.FromSeconds(options.Hold), cancellationToken);
        var holdCpu = cpu.Between(cpuAtStart, cpu.Sample(), operations: 0);
        var after = await ServerMemory.SampleAsync(realtimePids);
        await fleet.SendAsync(new WorkerCommand("report"));
        var received = await fleet.CollectAsync("received", cancellationToken);
        var reconnect = options.Reconnect ? await ReconnectAllAsync(fleet, cpu, options, seeder, seed, cancellationToken) : null;
        var failover = nodeFailure is null ? null : await FailOverAsync(fleet, cpu, options, nodeFailure, seeder, seed, reconnect?.Connected ?? count, cancellationToken);

        var seconds = connected.Max(e => e.Seconds);
        var rssGrowth = after.Sum(m => m.RssKiB) - before.Sum(m => m.RssKiB);
        var heapGrowth = before.Concat(after).All(m => m.LiveHeapKiB is not null) ? after.Sum(m => m.LiveHeapKiB!.Value) - before.Sum(m => m.LiveHeapKiB!.Value) : (long?)null;
        var report = new ConnectReport(
            options.Users,
            fleet.Count,
            realtimePids.Count,
            count,
            connected.Sum(e => e.Failed),
            received.Sum(e => e.Dropped),
            seconds,
            count / Math.Max(seconds, 0.001),
            MergeErrors(connected),
            before,
            after,
            count == 0 ? 0 : (double)rssGrowth / count,
            count == 0 ? null : (double?)heapGrowth / count,
            holdCpu,
            connectCpu,
            reconnect,
            failover);
        await ReportWriter.WriteAsync(report, options.Report, "connect", [
            ("connections", $"{report.Connected:N0} of {report.Users:N0} ({report.Workers} workers → {report.RealtimeProcesses} Realtime processes)"),
            ("failed / dropped", $"{report.Failed} / {report.Dropped}"),
            ("connect time", $"{report.ConnectSeconds:F1} s ({report.ConnectsPerSecond:N0}/s)"),
            ("CPU while connecting", ProcessCpu.Format(report.ConnectCpu, "connect")),
            ("Realtime RSS before → after", $"{before.Sum(m => m.RssKiB) / 1024.0:N0} → {after.Sum(m => m.RssKiB) / 1024.0:N0} MiB"),
            ("RSS per connection", $"{report.RssKiBPerConnection:F1} KiB"),
            ("live managed heap before → after", heapGrowth is null ? "not readable (not .NET)" : $"{before.Sum(m => m.LiveHeapKiB!.Value) / 1024.0:N0} → {after.Sum(m => m.LiveHeapKiB!.Value) / 1024.0:N0} MiB"),
            ("live managed heap per connection", report.LiveHeapKiBPerConnection is { } heap ? $"{heap:F1} KiB" : "n/a"),
            ("CPU while held", ProcessCpu.Format(report.HoldCpu)),
            ("errors", report.Errors),
            .. reconnect is null ? [] : new (string, object?)[]
            {
                ("dropped at once → reconnected (failed)", $"{reconnect.Dropped:N0} → {reconnect.Connected:N0} ({reconnect.Failed:N0})"),
                ("reconnect time", $"{reconnect.Seconds:F1} s ({reconnect.ConnectsPerSecond:N0}/s)"),
                ("CPU while reconnecting", ProcessCpu.Format(reconnect.Cpu, "connect")),
                ("connections in presence after", reconnect.PresenceConnections is { } held ? $"{held:N0} ({reconnect.SettledSeconds:F1} s after the last reconnect)" : "n/a (not SocialChat)"),
                ("reconnect errors", reconnect.Errors),
            },
            .. NodeFailure.Rows(failover),
        ]);
        return report.Failed == 0 && report.Dropped == 0 && reconnect is not { Failed: > 0 } && NodeFailure.Held(failover) ? 0 : 1;
    }

    /// <summary>Every worker drops all its connections at once, then opens them again as fast as it may.</summary>
    private static async Task<ReconnectReport> ReconnectAllAsync(WorkerFleet fleet, ProcessCpu cpu, LoadTestOptions options, Seeder seeder, SeedPlan seed, CancellationToken cancellationToken)
    {
        await fleet.SendAsync(new WorkerCommand("disconnect"));
        var dropped = (await fleet.CollectAsync("disconnected", cancellationToken)).Sum(e => e.Connected);
        var start = cpu.Sample();
        var reconnected = await ConnectAllAsync(fleet, options.Users, cancellationToken, "reconnecting");
        var count = reconnected.Sum(e => e.Connected);
        var reconnectCpu = cpu.Between(start, cpu.Sample(), count);
        var seconds = reconnected.Max(e => e.Seconds);
        var (presence, settled) = options.Server == "signalr" ? await SettledPresenceAsync(seeder, seed, count, PresenceSettleTimeout, Stopwatch.GetTimestamp(), cancellationToken) : (null, null);
        return new ReconnectReport(dropped, count, reconnected.Sum(e => e.Failed), seconds, count / Math.Max(seconds, 0.001), MergeErrors(reconnected), reconnectCpu, presence, settled);
    }

    /// <summary>The first Realtime node fails (killed or stopped, by signal), and every worker moves its clients to the other nodes.</summary>
    private static async Task<FailoverReport> FailOverAsync(
        WorkerFleet fleet, ProcessCpu cpu, LoadTestOptions options, NodeFailure failure, Seeder seeder, SeedPlan seed, int open, CancellationToken cancellationToken)
    {
        var moving = seed.Users.Count(u => u.Index % options.RealtimeUrls.Count == 0);
        var start = cpu.Sample();
        await failure.FailAsync(() => ConnectAllAsync(fleet, moving, cancellationToken, $"moving the clients of {failure.Node}", new WorkerCommand("failover", FailedNode: failure.Node)), cancellationToken);
        var moveCpu = cpu.Between(start, cpu.Sample(), failure.Moved);
        return await failure.ReportAsync(fleet, moveCpu, open, options, seeder, seed, cancellationToken);
    }

    /// <summary>
    /// The users' connections in presence, read until they are as many as are open (the nodes, or the sweep of a dead
    /// one, have let go of every dropped one) or the timeout has passed; with the seconds since <paramref name="since"/>
    /// (a <see cref="Stopwatch"/> timestamp). A dropped connection left in presence would keep its user online for ever.
    /// </summary>
    public static async Task<(long? Connections, double? Seconds)> SettledPresenceAsync(
        Seeder seeder, SeedPlan seed, int open, TimeSpan timeout, long since, CancellationToken cancellationToken)
    {
        var redis = seeder.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            long connections = 0;
            foreach (var batch in seed.Users.Chunk(2_000))
            {
                connections += (await Task.WhenAll(batch.Select(u => redis.SetLengthAsync(PresenceTracker.UserConnectionsKey(u.Id))))).Sum();
            }

            if (connections == open || waited.Elapsed > timeout)
            {
                return (connections, Stopwatch.GetElapsedTime(since).TotalSeconds);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Connects every worker's users, with a live count, and returns each worker's "connected" answer.</summary>
    public static Task<IReadOnlyList<WorkerEvent>> ConnectAllAsync(
        WorkerFleet fleet, int users, CancellationToken cancellationToken, string label = "connecting", WorkerCommand? command = null) =>
        ProgressView.RunAsync(label, users, async update =>
        {
            var counts = new Dictionary<int, (int Connected, int Failed)>();
            await fleet.SendAsync(command ?? new WorkerCommand("connect"));
            return await fleet.CollectAsync("connected", cancellationToken, progress =>
            {
                counts[progress.Worker] = (progress.Connected, progress.Failed);
                var connected = counts.Values.Sum(c => c.Connected);
                update(connected, $"{connected:N0} connected, {counts.Values.Sum(c => c.Failed):N0} failed");
            });
        });

    public static Dictionary<string, int> MergeErrors(IEnumerable<WorkerEvent> events) =>
        events.SelectMany(e => e.Errors ?? []).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
}
