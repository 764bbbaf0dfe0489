using System.Diagnostics;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// G groups of K members and D direct pairs, every member connected; members send at a fixed total rate for a
/// bounded time (or, with --ramp, at rising rates until p99 passes the limit). Every delivery is accounted for:
/// delivered live + caught up over REST must equal each conversation's committed messages × its members.
/// Users beyond the members connect too, and with --idle-client hold idle connections: a chat on a large fleet.
/// With --node-failure a Realtime node fails halfway through the one step: its clients move to the others, send again
/// what failed, and read what they missed, and still every message must be stored once and delivered to every member.
/// </summary>
internal static class ChatScenario
{
    /// <summary>The hub allows 10 sends/s per connection and the Api 600/min per user: stay under both.</summary>
    private const double PerSenderCeiling = 9;

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        if (options.NodeFailure != "none" && options.Ramp)
        {
            throw new ArgumentException("--node-failure fails a node halfway through chat's one step: not with --ramp.");
        }

        var nodeFailure = NodeFailure.Of(options);
        await using var seeder = new Seeder(options);
        var seed = await seeder.SeedAsync(options.Users, options.Groups, options.GroupSize, options.Directs, historyPerConversation: 0, new Progress<string>(ProgressView.Line), cancellationToken);
        await using var fleet = await WorkerFleet.StartAsync(options, seed);
        var cpu = ProcessCpu.Of(options, fleet); // before connecting: finding the listeners reads every open file of every process
        var connected = await ConnectScenario.ConnectAllAsync(fleet, options.Users, cancellationToken);

        var sendersPerWorker = fleet.Plans.Select(p => p.Users.Count(u => u.Conversations.Count > 0)).ToArray();
        var senders = Math.Max(1, sendersPerWorker.Sum());
        var steps = new List<StepReport>();
        StepReport? best = null;
        string? stoppedBecause = null;
        var rate = options.Rate;
        StepReport? warmUp = null;
        if (options.WarmUp > 0 && rate / senders <= PerSenderCeiling)
        {
            warmUp = await RunStepAsync(fleet, cpu, options, step: 0, rate, options.WarmUp, sendersPerWorker, senders, failure: null, cancellationToken);
            ProgressView.Line($"warm-up: {rate:N0} msg/s → {ReportWriter.Format(warmUp.Latency)} (not reported)");
        }

        for (var step = 1; step <= (options.Ramp ? options.RampSteps : 1); step++)
        {
            if (rate / senders > PerSenderCeiling)
            {
                stoppedBecause = $"{rate:N0}/s would be {rate / senders:F1}/s per sender, past the per-connection send limit: seed more users";
                break;
            }

            var result = await RunStepAsync(fleet, cpu, options, step, rate, options.Duration, sendersPerWorker, senders, nodeFailure, cancellationToken);
            steps.Add(result);
            ProgressView.Line($"step {step}: {rate:N0} msg/s → {result.DeliveriesPerSecond:N0} deliveries/s, {ReportWriter.Format(result.Latency)}");
            if (result.Latency.P99Ms > options.P99LimitMs || result.Acked < result.Sent)
            {
                stoppedBecause = result.Acked < result.Sent ? $"step {step}: {result.Sent - result.Acked} sends failed" : $"step {step}: p99 {result.Latency.P99Ms:F1} ms passed {options.P99LimitMs} ms";
                break;
            }

            best = result;
            rate *= options.RampFactor;
        }

        var failover = nodeFailure is null ? null : await nodeFailure.ReportAsync(fleet, [], connected.Sum(e => e.Connected), options, seeder, seed, cancellationToken);
        var lastSeqs = await seeder.LastSeqsAsync(seed.Conversations.Select(c => c.Id), cancellationToken);
        await fleet.SendAsync(new WorkerCommand("catchup", LastSeqs: lastSeqs));
        var caughtUp = await fleet.CollectAsync("caughtup", cancellationToken);
        var expected = seed.Conversations.Sum(c => lastSeqs.GetValueOrDefault(c.Id) * c.Members.Length);
        var delivered = caughtUp.Sum(e => e.Delivered);
        var recovered = caughtUp.Sum(e => e.CaughtUp);
        var report = new ChatReport(
            options.Users,
            fleet.Count,
            seed.Conversations.Count,
            options.Via,
            connected.Sum(e => e.Connected),
            connected.Sum(e => e.Failed),
            caughtUp.Sum(e => e.Dropped),
            steps,
            warmUp,
            steps.Sum(s => s.Sent) + (warmUp?.Sent ?? 0),
            steps.Sum(s => s.Acked) + (warmUp?.Acked ?? 0),
            lastSeqs.Values.Sum(),
            expected,
            delivered,
            recovered,
            expected - delivered - recovered,
            options.Ramp ? best : null,
            stoppedBecause,
            failover);

        var rows = new List<(string, object?)>
        {
            ("connected", $"{report.Connected:N0} of {report.Users:N0} ({report.Failed} failed, {report.Dropped} dropped later), {report.Workers} workers"),
            ("conversations", $"{options.Groups} groups of {options.GroupSize}, {options.Directs} direct"),
            ("sent via " + report.Via, $"{report.Sent:N0} sent, {report.Acked:N0} acknowledged{(failover is null ? "" : $" ({steps.Sum(s => s.Retried):N0} of them sent again after the move)")}, {report.Committed:N0} committed (warm-up included)"),
            ("deliveries", $"{report.Expected:N0} expected = {report.Delivered:N0} live + {report.CaughtUp:N0} caught up + {report.Lost:N0} lost"),
        };
        foreach (var s in steps)
        {
            rows.Add(($"step {s.Step}: {s.Rate:N0} msg/s × {s.Seconds:F0} s", $"{s.DeliveriesPerSecond:N0} deliveries/s, {ReportWriter.Format(s.Latency)}"));
            rows.Add(($"step {s.Step}: CPU", ProcessCpu.Format(s.Cpu)));
            rows.Add(($"step {s.Step}: load tool GC", s.LoadToolGc));
        }

        if (options.Ramp)
        {
            rows.Add(("highest sustained (p99 ≤ limit)", best is null ? "none" : $"{best.Rate:N0} msg/s, {best.DeliveriesPerSecond:N0} deliveries/s"));
            rows.Add(("stopped because", stoppedBecause ?? $"{options.RampSteps} steps done"));
        }

        rows.AddRange(NodeFailure.Rows(failover));
        await ReportWriter.WriteAsync(report, options.Report, "chat", rows);
        // Across a failure every send must end acknowledged and stored once: a retry that stored a second copy shows as more committed than acknowledged.
        var storedOnce = failover is null || (NodeFailure.Held(failover) && report.Acked == report.Sent && report.Committed == report.Acked);
        return report.Lost == 0 && storedOnce ? 0 : 1;
    }

    private static async Task<StepReport> RunStepAsync(
        WorkerFleet fleet, ProcessCpu cpu, LoadTestOptions options, int step, double rate, double duration, int[] sendersPerWorker, int senders,
        NodeFailure? failure, CancellationToken cancellationToken)
    {
        var cpuAtStart = cpu.Sample();
        await fleet.SendAsync(plan => new WorkerCommand("send", step, rate * sendersPerWorker[plan.Index] / senders, duration, options.Via, FailedNode: failure?.Node));
        var sent = await ProgressView.RunAsync($"step {step}: sending {rate:N0}/s", duration, async update =>
        {
            var stopwatch = Stopwatch.StartNew();
            using var ticker = new Timer(_ => update(Math.Min(duration, stopwatch.Elapsed.TotalSeconds), $"{stopwatch.Elapsed.TotalSeconds:F0} s"), null, 500, 500);
            if (failure is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(duration / 2), cancellationToken);
                await failure.FailAsync(() => fleet.CollectAsync("connected", cancellationToken), cancellationToken);
            }

            return await fleet.CollectAsync("sent", cancellationToken);
        });
        var cpuAtEnd = cpu.Sample();
        var expected = sent.Sum(e => e.ExpectedDeliveries);

        // Deliveries still in flight when the senders stop are counted: wait until they stop arriving.
        var drain = Stopwatch.StartNew();
        long previous = -1, delivered = 0;
        IReadOnlyList<WorkerEvent> received;
        while (true)
        {
            await fleet.SendAsync(new WorkerCommand("report"));
            received = await fleet.CollectAsync("received", cancellationToken);
            delivered = received.Sum(e => e.Deliveries?.GetValueOrDefault(step)?.Count ?? 0);
            if (delivered >= expected || delivered == previous || drain.Elapsed.TotalSeconds > options.Drain)
            {
                break;
            }

            previous = delivered;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var latency = new LatencyHistogram();
        var eachSecond = new SortedDictionary<long, long>();
        foreach (var deliveries in received.Select(e => e.Deliveries?.GetValueOrDefault(step)).OfType<StepDeliveries>())
        {
            latency.Add(deliveries.Latency);
            foreach (var (second, count) in deliveries.EachSecond)
            {
                eachSecond[second] = eachSecond.GetValueOrDefault(second) + count;
            }
        }

        // Seconds in which nothing arrived count as 0, so the series is the step's timeline.
        IReadOnlyList<long> deliveriesEachSecond = eachSecond.Count == 0 ? [] :
            [.. Enumerable.Range(0, (int)(eachSecond.Keys.Last() - eachSecond.Keys.First() + 1)).Select(i => eachSecond.GetValueOrDefault(eachSecond.Keys.First() + i))];

        var ackLatency = new LatencyHistogram();
        foreach (var workerEvent in sent)
        {
            ackLatency.Add(workerEvent.AckLatency!);
        }

        var seconds = sent.Max(e => e.Seconds);
        return new StepReport(step, rate, seconds, sent.Sum(e => e.Sent), sent.Sum(e => e.Acked), sent.Sum(e => e.Retried), expected, delivered,
            delivered / Math.Max(seconds, 0.001), latency.Summary(), ackLatency.Summary(), ConnectScenario.MergeErrors(sent),
            latency.Distribution(), deliveriesEachSecond, cpu.Between(cpuAtStart, cpuAtEnd, sent.Sum(e => e.Sent)),
            LoadToolGc.Combine(sent.Select(e => e.Gc!)));
    }
}
