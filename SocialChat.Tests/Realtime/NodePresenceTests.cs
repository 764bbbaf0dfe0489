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
}
