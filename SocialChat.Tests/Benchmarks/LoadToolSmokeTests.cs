using SocialChat.LoadTest.Reporting;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>
/// Each scenario of the load tool, run small (hundreds of connections, seconds) against the shared system, so
/// the tool cannot rot: the counts it reports must be right. Speeds belong in BENCHMARKS.md, never here.
/// </summary>
public sealed class LoadToolSmokeTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Connect_opens_every_connection_from_two_worker_processes_to_both_replicas()
    {
        var (exitCode, report, output) = await RunAsync<ConnectReport>("connect", "--users", "300", "--per-worker", "150", "--hold", "1");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Dropped);
        Assert.Equal(2, report.Workers);
        int[] realtimePids = [fixture.App.GetProcessId("realtime-0")!.Value, fixture.App.GetProcessId("realtime-1")!.Value];
        Assert.Equal(realtimePids.Order(), report.MemoryAfter.Select(m => m.Pid).Order());
        Assert.All(report.MemoryAfter, m => Assert.True(m.RssKiB > 0));
    }

    [Theory]
    [InlineData("hub")]
    [InlineData("rest")]
    public async Task Chat_accounts_for_every_delivery_of_messages_sent_through(string via)
    {
        // 10 groups of 10 and 10 direct pairs over 120 users in two workers; 40 messages a second for 3 s.
        var (exitCode, report, output) = await RunAsync<ChatReport>("chat", "--users", "120", "--per-worker", "60",
            "--groups", "10", "--group-size", "10", "--directs", "10", "--rate", "40", "--duration", "3", "--via", via);

        Assert.True(exitCode == 0, output);
        Assert.Equal(120, report.Connected);
        var step = Assert.Single(report.Steps);
        Assert.Equal(120, step.Sent);
        Assert.Equal(step.Sent, step.Acked);
        Assert.Equal(step.Acked, report.Committed);
        Assert.Equal(step.ExpectedDeliveries, report.Expected);
        Assert.Equal(0, report.Lost);
        Assert.Equal(report.Expected, report.Delivered + report.CaughtUp);
        Assert.Equal(step.Deliveries, step.Latency.Count);
        Assert.True(report.Delivered > 0, output);
    }

    [Fact]
    public async Task Chat_ramp_raises_the_rate_step_by_step_and_still_loses_nothing()
    {
        var (exitCode, report, output) = await RunAsync<ChatReport>("chat", "--users", "100", "--groups", "10", "--group-size", "10",
            "--directs", "0", "--rate", "20", "--duration", "1", "--ramp", "true", "--ramp-factor", "2", "--ramp-steps", "2", "--p99-limit-ms", "10000");

        Assert.True(exitCode == 0, output);
        Assert.Equal([20.0, 40.0], report.Steps.Select(s => s.Rate));
        Assert.Equal([20L, 40L], report.Steps.Select(s => s.Acked));
        Assert.Equal(40.0, report.BestSustained?.Rate);
        Assert.Equal(60 * 10, report.Expected);
        Assert.Equal(0, report.Lost);
    }

    [Fact]
    public async Task Api_reads_history_and_sends_at_the_requested_mix()
    {
        var (exitCode, report, output) = await RunAsync<ApiReport>("api", "--users", "50", "--groups", "5", "--group-size", "10",
            "--directs", "0", "--history", "20", "--rate", "40", "--duration", "2", "--read-share", "0.5");

        Assert.True(exitCode == 0, output);
        Assert.Equal(40, report.Reads.Count);
        Assert.Equal(40, report.Sends.Count);
        Assert.Equal(report.Reads.Count, report.Reads.Ok);
        Assert.Equal(report.Sends.Count, report.Sends.Ok);
        Assert.Empty(report.Reads.Errors);
    }

    [Fact]
    public async Task A_target_off_this_machine_is_refused_before_any_traffic()
    {
        var (exitCode, _, output) = await RunAsync<ConnectReport>("connect", "--users", "10", "--realtime", "http://192.0.2.10:5090");

        Assert.Equal(2, exitCode);
        Assert.Contains("only targets loopback", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, T Report, string Output)> RunAsync<T>(string scenario, params string[] arguments) =>
        LoadToolProcess.RunAsync<T>(fixture, () => fixture.App.FailuresLogged(["realtime-0", "realtime-1"]), scenario, arguments);
}
