using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;
using StackExchange.Redis;

namespace SocialChat.Tests.Realtime;

/// <summary>
/// A node's upkeep of its connections in presence, driven on a PresenceTracker of the test's own over the shared
/// system's Redis and PostgreSQL, with the node's live connections given by the test: the reconcile that puts them back
/// in Redis when they may have drifted (a presence write that failed, a sweep that took the node for dead), and the
/// node's clean stop.
/// </summary>
public sealed class NodePresenceTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_connection_that_closes_while_its_node_reconciles_does_not_keep_its_user_online()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var host = await InProcessServices.BuildAsync(fixture);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var nodeId = Guid.NewGuid().ToString("N");
        var connection = new ClosingWhenChecked("closing-" + nodeId, new LiveConnection(user.Id, Guid.NewGuid(), null!));

        // A node's first beat registers it and reconciles: the connection is live when looked at, then closes before
        // its add; its own removal (the hub's OnDisconnectedAsync) found nothing to remove at that moment.
        await presence.HeartbeatAsync(nodeId, connection);

        await AssertOfflineAsync(host, user);
        await presence.RemoveNodeAsync(nodeId);
    }

    [Fact]
    public async Task A_node_that_stops_takes_the_connections_its_closes_left_in_presence_offline()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var host = await InProcessServices.BuildAsync(fixture);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var nodeId = Guid.NewGuid().ToString("N");
        // Live once; its close's Redis write failed (left for a reconcile), and the node then stops.
        await presence.ConnectedAsync(nodeId, "left-" + nodeId, user.Id);

        await presence.RemoveNodeAsync(nodeId);

        await AssertOfflineAsync(host, user);
    }

    [Fact]
    public async Task A_node_that_stops_while_PostgreSQL_is_away_takes_all_its_users_offline_all_the_same()
    {
        using var host = await InProcessServices.BuildAsync(fixture, database: $"Host=127.0.0.1;Port={TestEnvironment.FreePort()};Username=nobody;Database=nothing");
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var nodeId = Guid.NewGuid().ToString("N");
        // More users than one chunk of removals: the lastSeenAt of each chunk fails to store.
        var userIds = Enumerable.Range(0, 1_500).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(userIds.Select((userId, index) => presence.ConnectedAsync(nodeId, $"{nodeId}-{index}", userId)));

        await presence.RemoveNodeAsync(nodeId);

        Assert.Empty(await presence.OnlineAmongAsync(userIds));
    }

    /// <summary>
    /// A starved node's late heartbeat lets the sweep take it for dead while it still takes connections; should it then
    /// die before its next beat, the sweep must still find those.
    /// </summary>
    [Fact]
    public async Task A_node_that_takes_connections_after_the_sweep_took_it_for_dead_and_then_dies_has_them_cleared()
    {
        var (early, late) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        using var host = await InProcessServices.BuildAsync(fixture);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var nodeId = Guid.NewGuid().ToString("N");
        await presence.HeartbeatAsync(nodeId, new Dictionary<string, LiveConnection>());
        await presence.ConnectedAsync(nodeId, "early-" + nodeId, early.Id);
        await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyDeleteAsync(PresenceTracker.NodeAliveKey(nodeId));
        await presence.SweepDeadNodesAsync();

        // Still taking connections, the node dies before its next beat.
        await presence.ConnectedAsync(nodeId, "late-" + nodeId, late.Id);
        await presence.SweepDeadNodesAsync();

        await AssertOfflineAsync(host, early);
        await AssertOfflineAsync(host, late);
    }

    /// <summary>
    /// A sweep can take a live node for dead (its beat late on a starved machine) while the node reconciles: the
    /// reconcile has read the node's connections, the sweep clears them, and the reconcile then puts back only those it
    /// had found missing, listing the node again as it does. Its next beat must still put back the ones the sweep cleared,
    /// or their users read offline while connected (the full suite's crash test saw 148 of 200 after 100 s).
    /// </summary>
    [Fact]
    public async Task Connections_a_sweep_clears_while_their_live_node_reconciles_are_back_after_its_next_beat()
    {
        var (lost, cleared) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        using var host = await InProcessServices.BuildAsync(fixture);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var nodeId = Guid.NewGuid().ToString("N");
        var live = new Dictionary<string, LiveConnection>
        {
            ["lost-" + nodeId] = new(lost.Id, Guid.NewGuid(), null!),
            ["cleared-" + nodeId] = new(cleared.Id, Guid.NewGuid(), null!),
        };
        await presence.HeartbeatAsync(nodeId, live);
        // One connection's entry is lost (a first sweep's chunk); the node's beat is late.
        await presence.DisconnectedAsync(nodeId, "lost-" + nodeId, lost.Id);
        await redis.KeyDeleteAsync(PresenceTracker.NodeAliveKey(nodeId));

        // The late beat reconciles; once it has read what Redis holds, the sweep (which found the node's key expired)
        // clears the node, and the beat then puts back what it found missing.
        var reconciling = new PausedOnFirstLook(live);
        var lateBeat = Task.Run(() => presence.HeartbeatAsync(nodeId, reconciling));
        await reconciling.Looking.WaitAsync(TestContext.Current.CancellationToken);
        await redis.KeyDeleteAsync(PresenceTracker.NodeAliveKey(nodeId));
        await presence.SweepDeadNodesAsync();
        await redis.StringSetAsync(PresenceTracker.NodeAliveKey(nodeId), "1", TimeSpan.FromMinutes(1));
        reconciling.GoOn();
        await lateBeat;

        await presence.HeartbeatAsync(nodeId, live);

        Assert.Equal(1, await redis.SetLengthAsync(PresenceTracker.UserConnectionsKey(lost.Id)));
        Assert.Equal(1, await redis.SetLengthAsync(PresenceTracker.UserConnectionsKey(cleared.Id)));
        await presence.RemoveNodeAsync(nodeId);
    }

    private static async Task AssertOfflineAsync(IHost host, TestUser user)
    {
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.Equal(0, await redis.SetLengthAsync(PresenceTracker.UserConnectionsKey(user.Id)));
        var seen = Assert.Single(await (await user.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { user.Id } })).ReadAsync<List<PresenceResponse>>());
        Assert.False(seen.Online);
    }

    /// <summary>One live connection that closes the moment anyone has checked it is live.</summary>
    private sealed class ClosingWhenChecked(string connectionId, LiveConnection connection) : IReadOnlyDictionary<string, LiveConnection>
    {
        private bool _closed;

        public bool ContainsKey(string key)
        {
            var live = !_closed && key == connectionId;
            _closed |= live;
            return live;
        }

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out LiveConnection value)
        {
            value = connection;
            return ContainsKey(key);
        }

        public LiveConnection this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => Live.Select(c => c.Key);

        public IEnumerable<LiveConnection> Values => Live.Select(c => c.Value);

        public int Count => Live.Count();

        public IEnumerator<KeyValuePair<string, LiveConnection>> GetEnumerator() => Live.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private IEnumerable<KeyValuePair<string, LiveConnection>> Live =>
            _closed ? [] : [new KeyValuePair<string, LiveConnection>(connectionId, connection)];
    }

    /// <summary>A node's live connections, whose first enumeration (a reconcile's look for missing ones) waits until let go.</summary>
    private sealed class PausedOnFirstLook(Dictionary<string, LiveConnection> live) : IReadOnlyDictionary<string, LiveConnection>
    {
        private readonly TaskCompletionSource _looking = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _goOn = new();

        public Task Looking => _looking.Task;

        public void GoOn() => _goOn.Set();

        public LiveConnection this[string key] => live[key];

        public IEnumerable<string> Keys => live.Keys;

        public IEnumerable<LiveConnection> Values => live.Values;

        public int Count => live.Count;

        public bool ContainsKey(string key) => live.ContainsKey(key);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out LiveConnection value) => live.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<string, LiveConnection>> GetEnumerator()
        {
            if (_looking.TrySetResult())
            {
                _goOn.Wait(TimeSpan.FromSeconds(30));
            }

            return live.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
