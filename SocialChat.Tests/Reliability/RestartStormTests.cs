using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Reliability;

/// <summary>RELIABILITY.md, "A Realtime node restarted under 2,000 connections".</summary>
[Collection(FaultTests.Collection)]
public sealed class RestartStormTests(ITestOutputHelper output)
{
    private const int Users = 200;
    private const int ConnectionsPerUser = 10;
    private const int Connections = Users * ConnectionsPerUser;

    /// <summary>The issue's bounds: everyone back within 30 s of the node's return, and no second bringing back more than a tenth of them.</summary>
    private static readonly TimeSpan AllBackWithin = TimeSpan.FromSeconds(30);
    private const double MostInOneSecond = 0.10;

    /// <summary>The recommended policy, remembering when the attempt it last scheduled begins.</summary>
    private sealed class AttemptRecordingPolicy(IRetryPolicy policy) : IRetryPolicy
    {
        public DateTime LastAttemptAt { get; private set; }

        public TimeSpan? NextRetryDelay(RetryContext retryContext)
        {
            var delay = policy.NextRetryDelay(retryContext);
            LastAttemptAt = DateTime.UtcNow + (delay ?? TimeSpan.Zero);
            return delay;
        }
    }

    /// <summary>
    /// Runs after the rest of the suite, alone (scripts/test.sh): the bound is on how evenly 2,000 clients come back, and
    /// beside the suite's other systems on two cores some clients were not back within the wait (RELIABILITY.md).
    /// </summary>
    [Fact]
    [Trait(TestPhases.Category, TestPhases.Alone)]
    public async Task A_realtime_node_restarted_under_2000_connections_gets_them_all_back_within_30_s_spread_out_by_the_jittered_backoff()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var setup = System.Diagnostics.Stopwatch.StartNew();
        var users = new ConcurrentBag<TestUser>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Users), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (_, _) => users.Add(await TestUser.RegisterAsync(app)));

        var node = app.GetEndpoint("realtime", "http", 1);
        var clients = new ConcurrentBag<HubClient>();
        var droppedAt = new ConcurrentQueue<DateTime>();
        var reconnectedAt = new ConcurrentQueue<DateTime>();
        var succeededAttemptAt = new ConcurrentQueue<DateTime>();
        await Parallel.ForEachAsync(users.SelectMany(user => Enumerable.Repeat(user, ConnectionsPerUser)), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (user, _) =>
            {
                var policy = new AttemptRecordingPolicy(new JitteredReconnectPolicy());
                HubClient client;
                try
                {
                    client = await HubClient.ConnectAsync(node, user.AccessToken, reconnect: policy);
                }
                catch (HubException refused)
                {
                    throw new InvalidOperationException($"{refused.Message} realtime-1 logged:\n{app.FailuresLogged(["realtime-1"])}", refused);
                }

                client.Connection.Reconnecting += _ =>
                {
                    droppedAt.Enqueue(DateTime.UtcNow);
                    return Task.CompletedTask;
                };
                client.Connection.Reconnected += _ =>
                {
                    reconnectedAt.Enqueue(DateTime.UtcNow);
                    succeededAttemptAt.Enqueue(policy.LastAttemptAt);
                    return Task.CompletedTask;
                };
                clients.Add(client);
            });
        Assert.Equal(Connections, clients.Count(c => c.Connection.State == HubConnectionState.Connected));
        output.WriteLine($"{Users} users registered and {Connections} connections opened in {setup.Elapsed.TotalSeconds:F0} s");

        try
        {
            // A rolling deploy's restart: SIGTERM, the node closes its connections and stops, then starts again.
            var restartedAt = DateTime.UtcNow;
            await app.StopInstanceAsync("realtime-1");
            app.StartInstance("realtime-1");
            await app.ResourceNotifications.WaitForResourceHealthyAsync("realtime").WaitAsync(TimeSpan.FromSeconds(60));
            var upAt = DateTime.UtcNow;
            await Eventually.HoldsAsync(
                () => Task.FromResult(clients.Count(c => c.Connection.State == HubConnectionState.Connected) == Connections && reconnectedAt.Count >= droppedAt.Count),
                allBack => allBack, TimeSpan.FromSeconds(60));

            var drop = droppedAt.Min();
            // The spread is the backoff's: when each client's successful attempt began. When the handshakes complete
            // also depends on how the restarted node, sharing two cores with the rest of the suite, gets through them.
            var seconds = succeededAttemptAt.GroupBy(at => (int)(at - drop).TotalSeconds).OrderBy(g => g.Key).Select(g => (Second: g.Key, Count: g.Count())).ToList();
            output.WriteLine($"{Connections} connections; dropped {droppedAt.Count} within {(droppedAt.Max() - drop).TotalSeconds:F1} s of the restart's start " +
                $"(+{(drop - restartedAt).TotalSeconds:F1} s); the first back at +{(reconnectedAt.Min() - drop).TotalSeconds:F1} s, node healthy again at " +
                $"+{(upAt - drop).TotalSeconds:F1} s; reconnected {reconnectedAt.Count}, the last at +{(reconnectedAt.Max() - drop).TotalSeconds:F1} s");
            output.WriteLine("handshakes completed per second after the drop: " + string.Join(", ", reconnectedAt
                .GroupBy(at => (int)(at - drop).TotalSeconds).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
            output.WriteLine("successful reconnect attempts per second after the drop: " + string.Join(", ", seconds.Select(s => $"{s.Second}: {s.Count}")));

            // Dropped once each: a reconnect the stopping node had accepted would have been dropped a second time.
            Assert.Equal(Connections, droppedAt.Count);
            Assert.Equal(Connections, reconnectedAt.Count);
            var closed = clients.Count(c => c.Connection.State != HubConnectionState.Connected);
            Assert.True(closed == 0, $"{closed} clients are not connected; realtime-1 logged:\n{app.FailuresLogged(["realtime-1"])}");
            // How long the node takes to stop and start is the machine's; from its return, the clients' backoff decides.
            var back = reconnectedAt.Min();
            Assert.True(reconnectedAt.Max() - back <= AllBackWithin, $"the last client came back {(reconnectedAt.Max() - back).TotalSeconds:F1} s after the first");
            var busiest = seconds.MaxBy(s => s.Count);
            Assert.True(busiest.Count <= Connections * MostInOneSecond, $"{busiest.Count} clients' successful attempts began in second {busiest.Second}");

            // The node serves its clients again: it is healthy, and its users read online.
            using var health = app.CreateHttpClient("realtime", "http", 1);
            Assert.Equal("Healthy", await health.GetStringAsync("/health"));
            foreach (var user in users.Take(20))
            {
                var presence = await (await user.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { user.Id } })).ReadAsync<List<PresenceResponse>>();
                Assert.True(Assert.Single(presence).Online, $"{user.User.Username} reads offline with {ConnectionsPerUser} connections open");
            }
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
