using SocialChat.LoadTest.Reporting;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>
/// The load tool's connect and chat scenarios, run small against the Node.js + Socket.IO peer (two nodes sharing the
/// test system's PostgreSQL and Redis), so the side-by-side benchmark cannot rot: counts only, never speed.
/// </summary>
public sealed class PeerSmokeTests(SocialChatAppFixture fixture) : IAsyncLifetime
{
    private PeerNodes _peers = null!;

    public async ValueTask InitializeAsync() => _peers = await PeerNodes.StartAsync(fixture, count: 2);

    public async ValueTask DisposeAsync() => await _peers.DisposeAsync();

    [Fact]
    public async Task Connect_opens_every_connection_to_both_peer_nodes_and_samples_their_memory()
    {
        var (exitCode, report, output) = await RunAsync<ConnectReport>("connect", "--users", "300", "--per-worker", "150", "--hold", "1");

        Assert.True(exitCode == 0, output);
        Assert.Equal(300, report.Connected);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Dropped);
        Assert.Equal(2, report.Workers);
        Assert.Equal(_peers.Pids.Order(), report.MemoryAfter.Select(m => m.Pid).Order());
        Assert.All(report.MemoryAfter, m => Assert.True(m.RssKiB > 0));
    }

    [Fact]
    public async Task Chat_through_the_peer_is_committed_and_every_delivery_accounted_for()
    {
        var (exitCode, report, output) = await RunAsync<ChatReport>("chat", "--users", "120", "--per-worker", "60",
            "--groups", "10", "--group-size", "10", "--directs", "10", "--rate", "40", "--duration", "3");

        Assert.True(exitCode == 0, output);
        Assert.Equal(120, report.Connected);
        var step = Assert.Single(report.Steps);
        Assert.Equal(120, step.Sent);
        Assert.Equal(step.Sent, step.Acked);
        Assert.Equal(step.Acked, report.Committed);
        Assert.Equal(step.ExpectedDeliveries, report.Expected);
        Assert.Equal(0, report.Lost);
        Assert.Equal(report.Expected, report.Delivered + report.CaughtUp);
        Assert.True(report.Delivered > 0, output);
    }

    [Fact]
    public async Task Sends_over_rest_are_refused_with_the_peer_before_any_traffic()
    {
        var (exitCode, _, output) = await RunAsync<ChatReport>("chat", "--users", "10", "--via", "rest");

        Assert.Equal(2, exitCode);
        Assert.Contains("--server socketio sends over its own connections", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, T Report, string Output)> RunAsync<T>(string scenario, params string[] arguments) =>
        LoadToolProcess.RunAsync<T>(fixture, () => _peers.Log, scenario,
            ["--server", "socketio", "--realtime", string.Join(',', _peers.Urls), .. arguments]);
}
