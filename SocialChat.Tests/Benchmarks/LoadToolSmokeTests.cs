using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Aspire.Hosting;
using SocialChat.LoadTest.Reporting;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>
/// Each scenario of the load tool, run small (hundreds of connections, seconds) against the shared system, so
/// the tool cannot rot: the counts it reports must be right. Speeds belong in BENCHMARKS.md, never here. The connect
/// and chat scenarios also run against the Node.js + Socket.IO peer (<c>socketio</c>: two peer processes beside the
/// shared system, on its PostgreSQL and Redis), as the side-by-side benchmark drives it, and connect against SignalR
/// without SocialChat (<c>signalr-floor</c>).
/// </summary>
public sealed class LoadToolSmokeTests(SocialChatAppFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData("signalr")]
    [InlineData("socketio")]
    [InlineData("signalr-floor")]
    public async Task Connect_opens_every_connection_from_two_worker_processes_to_both_nodes(string server)
    {
        var (exitCode, report, output, serverPids) = await RunAsync<ConnectReport>(server, "connect", "--users", "300", "--per-worker", "150", "--hold", "1");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Dropped);
        Assert.Equal(2, report.Workers);
        Assert.Equal(serverPids.Order(), report.MemoryAfter.Select(m => m.Pid).Order());
        // The peer is not .NET: it has no managed heap to read.
        Assert.All(report.MemoryAfter, m => Assert.True(m.RssKiB > 0 && (server == "socketio" || m.LiveHeapKiB > 0), $"pid {m.Pid}: RSS {m.RssKiB} KiB, live heap {m.LiveHeapKiB} KiB"));
        Assert.Equal(2, report.HoldCpu.Single(r => r.Role == "server").Processes);
    }

    [Fact]
    public async Task Connect_with_idle_clients_opens_every_connection_over_the_hub_protocol()
    {
        var (exitCode, report, output, _) = await RunAsync<ConnectReport>("signalr", "connect", "--users", "300", "--per-worker", "150", "--hold", "1", "--idle-client", "true");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Dropped);
    }

    [Fact]
    public async Task Connect_with_reconnect_drops_every_connection_at_once_and_opens_it_again()
    {
        var (exitCode, report, output, _) = await RunAsync<ConnectReport>("signalr", "connect", "--users", "300", "--per-worker", "150", "--hold", "1",
            "--idle-client", "true", "--reconnect", "true");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        var reconnect = Assert.IsType<ReconnectReport>(report.Reconnect);
        Assert.Equal(300, reconnect.Dropped);
        Assert.Equal(300, reconnect.Connected);
        Assert.Equal(0, reconnect.Failed);
        Assert.Equal(2, reconnect.Cpu.Single(r => r.Role == "server").Processes);
        // The nodes let go of every dropped connection: one live connection per user in presence, not two.
        Assert.Equal(300, reconnect.PresenceConnections);
        Assert.Contains("reconnect time", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_with_a_node_failure_moves_the_peers_clients_too()
    {
        // SocialChat's own failover runs on systems of their own (LoadToolFailoverTests); the peer's nodes are this run's.
        var (exitCode, report, output, serverPids) = await RunAsync<ConnectReport>("socketio", "connect", "--users", "200", "--per-worker", "100", "--hold", "1",
            "--client", "bare", "--node-failure", "kill");

        Assert.True(exitCode == 0, output);
        var failover = Assert.IsType<FailoverReport>(report.Failover);
        Assert.Equal(serverPids[0], failover.Pid);
        Assert.Equal(100, failover.Dropped);
        Assert.Equal(100, failover.Connected);
        Assert.Equal(0, failover.Failed);
        Assert.Equal(0, failover.DroppedLater);
        Assert.Equal(200, failover.Open);
        // The peer keeps no presence.
        Assert.Null(failover.PresenceConnections);
    }

    [Theory]
    [InlineData("signalr", "hub", "library")]
    [InlineData("signalr", "rest", "library")]
    [InlineData("socketio", "hub", "library")]
    [InlineData("signalr", "hub", "bare")]
    [InlineData("socketio", "hub", "bare")]
    public async Task Chat_accounts_for_every_delivery_of_messages_sent_through(string server, string via, string client)
    {
        // 10 groups of 10 and 10 direct pairs over 120 users in two workers; 40 messages a second for 1 s of warm-up, then 3 s.
        var (exitCode, report, output, _) = await RunAsync<ChatReport>(server, "chat", "--users", "120", "--per-worker", "60",
            "--groups", "10", "--group-size", "10", "--directs", "10", "--rate", "40", "--warm-up", "1", "--duration", "3", "--via", via, "--client", client);

        Assert.True(exitCode == 0, output);
        Assert.Equal(120, report.Connected);
        Assert.Equal(0, report.Dropped);
        var step = Assert.Single(report.Steps);
        Assert.Equal(120, step.Sent);
        Assert.Equal(step.Sent, step.Acked);
        Assert.Equal(40, report.WarmUp!.Acked);
        Assert.Equal(step.Acked + report.WarmUp.Acked, report.Committed);
        Assert.Equal(step.ExpectedDeliveries + report.WarmUp.ExpectedDeliveries, report.Expected);
        Assert.Equal(0, report.Lost);
        Assert.Equal(report.Expected, report.Delivered + report.CaughtUp);
        Assert.Equal(step.Deliveries, step.Latency.Count);
        // What the plots draw adds up to what was counted.
        Assert.Equal(step.Deliveries, step.LatencyDistribution.Sum(b => b.Count));
        Assert.Equal(step.Deliveries, step.DeliveriesEachSecond.Sum());
        Assert.True(report.Delivered > 0 && step.Deliveries > 0, output);
        // The CPU of the step by role: both servers and the load tool (its coordinator and two workers) did work.
        var cpu = step.Cpu.ToDictionary(r => r.Role);
        Assert.Equal(2, cpu["server"].Processes);
        Assert.Equal(3, cpu["load tool"].Processes);
        Assert.True(cpu["server"].MsPerOperation > 0 && cpu["load tool"].MsPerOperation > 0, output);
        Assert.True(cpu["database"].Processes > 1 && cpu["redis"].Processes == 1, output);
        // And beside them what the host took from this machine's cores meanwhile.
        Assert.InRange(cpu[ProcessCpu.StolenByTheHost].Cores, 0, Environment.ProcessorCount);
        // And the workers' own GC pauses while sending, which would read as the server's latency.
        Assert.NotNull(step.LoadToolGc);
        Assert.True(step.LoadToolGc.PausedMs >= 0 && step.LoadToolGc.LongestPauseMs >= 0, output);
    }

    [Fact]
    public async Task Chat_on_a_fleet_with_idle_connections_delivers_to_the_members_full_connections()
    {
        // 100 members in 10 groups keep full connections; the other 200 users hold idle ones.
        var (exitCode, report, output, _) = await RunAsync<ChatReport>("signalr", "chat", "--users", "300", "--per-worker", "150", "--idle-client", "true",
            "--groups", "10", "--group-size", "10", "--directs", "0", "--rate", "20", "--warm-up", "0", "--duration", "2");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        var step = Assert.Single(report.Steps);
        Assert.Equal(40, step.Sent);
        Assert.Equal(step.Sent, step.Acked);
        Assert.Equal(40 * 10, report.Expected);
        Assert.Equal(0, report.Lost);
        Assert.True(report.Delivered > 0, output);
    }

    [Fact]
    public async Task Chat_ramp_raises_the_rate_step_by_step_after_its_warm_up_and_still_loses_nothing()
    {
        var (exitCode, report, output, _) = await RunAsync<ChatReport>("signalr", "chat", "--users", "100", "--groups", "10", "--group-size", "10",
            "--directs", "0", "--rate", "20", "--duration", "1", "--warm-up", "1", "--ramp", "true", "--ramp-factor", "2", "--ramp-steps", "2", "--p99-limit-ms", "10000");

        Assert.True(exitCode == 0, output);
        Assert.Equal([20.0, 40.0], report.Steps.Select(s => s.Rate));
        Assert.Equal([20L, 40L], report.Steps.Select(s => s.Acked));
        Assert.Equal(40.0, report.BestSustained?.Rate);
        // The warm-up's 20 messages are committed and delivered too.
        Assert.Equal(80, report.Committed);
        Assert.Equal(80 * 10, report.Expected);
        Assert.Equal(0, report.Lost);
    }

    [Fact]
    public async Task Api_reads_history_and_sends_at_the_requested_mix()
    {
        var (exitCode, report, output, _) = await RunAsync<ApiReport>("signalr", "api", "--users", "50", "--groups", "5", "--group-size", "10",
            "--directs", "0", "--history", "20", "--rate", "40", "--warm-up", "1", "--duration", "2", "--read-share", "0.5");

        Assert.True(exitCode == 0, output);
        Assert.Equal(40, report.Reads.Count);
        Assert.Equal(40, report.Sends.Count);
        Assert.Equal(report.Reads.Count, report.Reads.Ok);
        Assert.Equal(report.Sends.Count, report.Sends.Ok);
        Assert.Empty(report.Reads.Errors);
        // The Api served the 80 requests: its CPU per request is measured.
        var api = report.Cpu.Single(r => r.Role == "api");
        Assert.True(api.Processes == 1 && api.MsPerOperation > 0, output);
    }

    [Theory]
    [InlineData("rename", 4, 1)]
    [InlineData("members", 2, 2)]
    [InlineData("create", 2, 1)]
    public async Task Group_changes_a_large_group_and_every_connected_member_hears_every_change_and_the_next_message(string change, int rate, int requestsPerChange)
    {
        var (exitCode, report, output, _) = await RunAsync<GroupReport>("signalr", "group", "--change", change, "--group-size", "300", "--online", "20",
            "--history", "20", "--rate", rate.ToString(), "--warm-up", "0.5", "--duration", "1");

        Assert.True(exitCode == 0, output);
        Assert.Equal(rate * requestsPerChange, report.Changes.Count);
        Assert.Equal(report.Changes.Count, report.Changes.Ok);
        Assert.Equal(20, report.Online);
        // The warm-up's changes and the measured ones, each request heard by each of the 20 (a removed member hears its removal).
        Assert.Equal((long)(rate * 1.5) * requestsPerChange * 20, report.Expected);
        Assert.Equal(report.Expected, report.Heard);
        // Then a message into the group, or into each group created: heard by the 20 only if they joined (again) live.
        var groupsChanged = change == "create" ? (long)(rate * 1.5) : 1;
        Assert.Equal(groupsChanged, report.Messages.Ok);
        Assert.Equal(groupsChanged * 20, report.MessagesExpected);
        Assert.Equal(report.MessagesExpected, report.MessagesHeard);
    }

    [Fact]
    public async Task Commit_stores_every_acknowledged_send_and_times_single_row_inserts_in_turns_with_them()
    {
        var (exitCode, report, output, _) = await RunAsync<CommitReport>("signalr", "commit", "--users", "40", "--groups", "4", "--group-size", "10",
            "--directs", "2", "--concurrency", "4", "--warm-up", "1", "--duration", "1", "--rounds", "2");

        Assert.True(exitCode == 0, output);
        Assert.True(report.WarmUpSends > 0 && report.Sends.Ok > 0, output);
        Assert.Contains("round 2 of 2", output, StringComparison.Ordinal);
        Assert.Equal(report.Sends.Count, report.Sends.Ok);
        Assert.Equal(report.WarmUpSends + report.Sends.Ok, report.Stored);
        Assert.InRange(report.Commits, 1, report.Sends.Ok);
        Assert.True(report.SingleRowInserts.Ok > 0, output);
        Assert.Equal(report.SingleRowInserts.Count, report.SingleRowInserts.Ok);
        // The database's CPU per durable send and per INSERT, from its backends.
        Assert.True(report.SendCpu.Single(r => r.Role == "database").MsPerOperation > 0, output);
        Assert.True(report.InsertCpu.Single(r => r.Role == "database").MsPerOperation > 0, output);
        // The scratch table the INSERTs went to is gone again.
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var scratchTable = new NpgsqlCommand("SELECT to_regclass('loadtest_single_row_inserts')::text", connection);
        Assert.Equal(DBNull.Value, await scratchTable.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_target_off_this_machine_is_refused_before_any_traffic()
    {
        var (exitCode, _, output, _) = await RunAsync<ConnectReport>("signalr", "connect", "--users", "10", "--realtime", "http://192.0.2.10:5090");

        Assert.Equal(2, exitCode);
        Assert.Contains("only targets loopback", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sends_over_rest_are_refused_with_the_socketio_peer_before_any_traffic()
    {
        var (exitCode, _, output, _) = await RunAsync<ChatReport>("signalr", "chat", "--users", "10", "--server", "socketio", "--via", "rest");

        Assert.Equal(2, exitCode);
        Assert.Contains("--server socketio sends over its own connections", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the tool against the shared system's two Realtime nodes (<c>signalr</c>), or two processes started for this
    /// run of the Socket.IO peer (<c>socketio</c>) or of SignalR without SocialChat, with JwtBearer and the Redis backplane
    /// (<c>signalr-floor</c>); returns the tool's exit code, report and output (with what the servers logged) and the servers' pids.
    /// </summary>
    private async Task<(int ExitCode, T Report, string Output, int[] ServerPids)> RunAsync<T>(string server, string scenario, params string[] arguments)
    {
        if (server != "signalr")
        {
            await using var peers = server == "socketio"
                ? await PeerNodes.StartSocketIoAsync(fixture, count: 2)
                : await PeerNodes.StartSignalRFloorAsync(fixture, count: 2, layers: "jwt,backplane");
            var run = await RunToolAsync<T>(fixture.App, () => peers.Log, scenario, ["--server", server == "socketio" ? "socketio" : "signalr", "--realtime", string.Join(',', peers.Urls), .. arguments]);
            return (run.ExitCode, run.Report, run.Output, [.. peers.Pids]);
        }

        var result = await RunToolAsync<T>(fixture.App, () => fixture.App.FailuresLogged(["realtime-0", "realtime-1"]), scenario, arguments);
        return (result.ExitCode, result.Report, result.Output, [fixture.App.GetProcessId("realtime-0")!.Value, fixture.App.GetProcessId("realtime-1")!.Value]);
    }

    /// <summary>Runs the tool against the system's Api and its two Realtime nodes, unless the arguments name others.</summary>
    internal static async Task<(int ExitCode, T Report, string Output)> RunToolAsync<T>(DistributedApplication app, Func<string> serverLog, string scenario, string[] arguments)
    {
        var reportPath = Path.Combine(Path.GetTempPath(), $"loadtest-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SocialChat.LoadTest.dll"));
        start.ArgumentList.Add(scenario);
        var target = new Dictionary<string, string>
        {
            ["--api"] = app.GetEndpoint("api").ToString(),
            ["--realtime"] = $"{app.GetEndpoint("realtime", replica: 0)},{app.GetEndpoint("realtime", replica: 1)}",
            ["--postgres"] = (await app.GetConnectionStringAsync("socialdb"))!,
            ["--redis"] = (await app.GetConnectionStringAsync("cache"))!,
            ["--jwt-signing-key"] = app.EnvironmentOf("api", "Jwt__SigningKey"),
            ["--max-run-time"] = "00:03:00",
            ["--report"] = reportPath,
        };
        foreach (var (name, value) in target.Where(t => !arguments.Contains(t.Key)))
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = $"{await stdout}\n{await stderr}\n{serverLog()}";
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        var report = File.Exists(reportPath) ? JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(reportPath), JsonSerializerOptions.Web)! : default!;
        File.Delete(reportPath);
        return (process.ExitCode, report, output);
    }
}
