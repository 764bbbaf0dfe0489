using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Who is online, across every node and device. Redis holds each user's live connection ids and each
/// node's connections; a user is online while their set is not empty. The first connection and the last
/// close announce PresenceChanged to the user's subscribers and the last close writes lastSeenAt to
/// PostgreSQL. A node that dies leaves its set behind for the Worker's sweep (<see cref="SweepDeadNodesAsync"/>).
/// </summary>
public sealed class PresenceTracker(
    IConnectionMultiplexer redis,
    NpgsqlDataSource database,
    LastSeenWriter lastSeen,
    IHubContext<ChatHub, IChatClient> hub,
    IOptions<PresenceOptions> options,
    IOptions<RedisOutageOptions> outage,
    TimeProvider time,
    ILogger<PresenceTracker> logger)
{
    private const string NodesKey = "presence:nodes";

    private const int RemovalChunkSize = 1_000;

    private int _reconcileRequested;

    // Returns 1 when this connection made the user go online. The node joins the swept nodes with its first connection
    // as with its first beat: a node whose heartbeat is late (a starved machine) is swept and leaves them, and one that
    // then took connections and died before its next beat would otherwise leave those online for good.
    private static readonly LuaScript ConnectScript = LuaScript.Prepare("""
        redis.call('SADD', @nodes, @nodeId)
        redis.call('HSET', @nodeConnections, @connectionId, @userId)
        redis.call('SADD', @userConnections, @connectionId)
        return redis.call('SCARD', @userConnections) == 1 and 1 or 0
        """);

    // Returns 1 when the node held no connection and left the swept nodes; 0 when connections came meanwhile. Leaves word
    // for the node, should it be alive, that its next beat must reconcile (NodeSweptKey).
    private static readonly LuaScript ForgetEmptyNodeScript = LuaScript.Prepare("""
        if redis.call('HLEN', @nodeConnections) > 0 then
            return 0
        end
        redis.call('SREM', @nodes, @nodeId)
        redis.call('SET', @swept, '1', 'PX', @sweptMs)
        return 1
        """);

    /// <summary>How long word of a sweep waits for its node's beat: a node dead for good never reads it.</summary>
    private static readonly TimeSpan SweptWordLifetime = TimeSpan.FromMinutes(10);

    // Returns 1 when this connection was the user's last one.
    private static readonly LuaScript DisconnectScript = LuaScript.Prepare("""
        redis.call('HDEL', @nodeConnections, @connectionId)
        if redis.call('SREM', @userConnections, @connectionId) == 1 and redis.call('SCARD', @userConnections) == 0 then
            return 1
        end
        return 0
        """);

    public static RedisKey UserConnectionsKey(Guid userId) => $"presence:user:{userId:N}";

    private static RedisKey NodeConnectionsKey(string nodeId) => $"presence:node:{nodeId}:connections";

    public static RedisKey NodeAliveKey(string nodeId) => $"presence:node:{nodeId}:alive";

    /// <summary>
    /// Set when a sweep has cleared the node. A sweep can take a live node for dead (its beat late on a starved machine)
    /// while the node reconciles: the reconcile reads the node's connections, the sweep clears them, and the reconcile
    /// puts back only those it had found missing. Its adds list the node again, so neither its key nor its listing tells
    /// its next beat that the sweep came; this does.
    /// </summary>
    private static RedisKey NodeSweptKey(string nodeId) => $"presence:node:{nodeId}:swept";

    public async Task ConnectedAsync(string nodeId, string connectionId, Guid userId)
    {
        var wentOnline = (int)await redis.GetDatabase().ScriptEvaluateAsync(ConnectScript, new
        {
            nodes = (RedisKey)NodesKey,
            nodeId,
            nodeConnections = NodeConnectionsKey(nodeId),
            userConnections = UserConnectionsKey(userId),
            connectionId,
            userId = userId.ToString("N"),
        }) == 1;
        if (wentOnline)
        {
            SocialChatMetrics.PresenceChanged(online: true);
            await AnnounceAsync(new PresenceResponse(userId, true, time.GetUtcNow().UtcDateTime));
        }
    }

    public async Task DisconnectedAsync(string nodeId, string connectionId, Guid userId)
    {
        if (await RemoveConnectionAsync(nodeId, connectionId, userId))
        {
            await WentOfflineAsync([userId]);
        }
    }

    /// <summary>Whether this was the user's last connection.</summary>
    private async Task<bool> RemoveConnectionAsync(string nodeId, string connectionId, Guid userId) =>
        (int)await redis.GetDatabase().ScriptEvaluateAsync(DisconnectScript, new
        {
            nodeConnections = NodeConnectionsKey(nodeId),
            userConnections = UserConnectionsKey(userId),
            connectionId,
        }) == 1;

    public async Task<long> ConnectionCountAsync(Guid userId) => await redis.GetDatabase().SetLengthAsync(UserConnectionsKey(userId));

    /// <summary>Every live connection of a user, on any node: what membership changes add to a group.</summary>
    public async Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid userId) =>
        [.. (await redis.GetDatabase().SetMembersAsync(UserConnectionsKey(userId))).Select(v => v.ToString())];

    /// <summary>
    /// Presence as <paramref name="viewerId"/> may see it: users who share a conversation with them, whom
    /// they follow, or themselves. Everyone else reads as offline with no lastSeenAt.
    /// </summary>
    public async Task<List<PresenceResponse>> GetAsync(Guid viewerId, IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken) =>
        await StatusOfAsync(userIds, await VisibleUsersAsync(viewerId, userIds, cancellationToken));

    /// <summary>Presence of these users, given which of them the viewer may see (<see cref="VisibleUsersAsync"/>).</summary>
    public async Task<List<PresenceResponse>> StatusOfAsync(IReadOnlyCollection<Guid> userIds, IReadOnlyDictionary<Guid, DateTime?> visible)
    {
        var online = await OnlineAmongAsync(visible.Keys);
        var now = time.GetUtcNow().UtcDateTime;

        // A concrete List: the hub's MessagePack protocol serializes the runtime type, which a collection expression hides.
        return userIds.Distinct().Select(id => visible.TryGetValue(id, out var lastSeenAt)
            ? new PresenceResponse(id, online.Contains(id), online.Contains(id) ? now : lastSeenAt)
            : new PresenceResponse(id, false, null)).ToList();
    }

    /// <summary>The users among these with a live connection on any node, their lookups side by side (one pipelined burst to Redis).</summary>
    public async Task<HashSet<Guid>> OnlineAmongAsync(IEnumerable<Guid> userIds)
    {
        var database = redis.GetDatabase();
        var counts = await Task.WhenAll(userIds.Select(async id => (Id: id, Count: await database.SetLengthAsync(UserConnectionsKey(id)))));
        return counts.Where(c => c.Count > 0).Select(c => c.Id).ToHashSet();
    }

    /// <summary>The users among these whose presence the viewer may see, with their stored lastSeenAt.</summary>
    /// <remarks>
    /// The rule lives in the function visible_users (migration VisibleUsersFunction), whose plan PostgreSQL keeps:
    /// clients subscribe as they connect, so a node restart asks this thousands of times at once (BENCHMARKS.md).
    /// </remarks>
    public async Task<Dictionary<Guid, DateTime?>> VisibleUsersAsync(Guid viewerId, IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        await using var query = database.CreateCommand("SELECT id, last_seen_at FROM visible_users($1, $2)");
        query.Parameters.Add(new NpgsqlParameter { Value = viewerId, NpgsqlDbType = NpgsqlDbType.Uuid });
        query.Parameters.Add(new NpgsqlParameter { Value = userIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var visible = new Dictionary<Guid, DateTime?>();
        while (await reader.ReadAsync(cancellationToken))
        {
            visible[reader.GetGuid(0)] = await reader.IsDBNullAsync(1, cancellationToken) ? null : reader.GetDateTime(1);
        }

        return visible;
    }

    /// <summary>The pairs among these whose watcher may not see the target.</summary>
    /// <remarks>
    /// By the function hidden_pairs (migration HiddenPairsFunction), visible_users' rule for many viewers at once: a
    /// member leaving a group of 10,000 costs one statement rather than one for each member who may have watched them.
    /// </remarks>
    public async Task<List<(Guid WatcherId, Guid TargetId)>> HiddenPairsAsync(IReadOnlyCollection<(Guid WatcherId, Guid TargetId)> pairs, CancellationToken cancellationToken)
    {
        await using var query = database.CreateCommand("SELECT watcher_id, target_id FROM hidden_pairs($1, $2)");
        query.Parameters.Add(new NpgsqlParameter { Value = pairs.Select(p => p.WatcherId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        query.Parameters.Add(new NpgsqlParameter { Value = pairs.Select(p => p.TargetId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var hidden = new List<(Guid WatcherId, Guid TargetId)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hidden.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        return hidden;
    }

    /// <summary>A presence write of this node failed (Redis away): the next heartbeat reconciles the node's connections.</summary>
    public void RequestReconcile() => Interlocked.Exchange(ref _reconcileRequested, 1);

    /// <summary>
    /// Keeps the node alive, and puts its connections back in step with Redis when they may have drifted: when
    /// a write failed, or when the node was not registered — its first beat, or Redis was away long enough for
    /// its heartbeat to expire and the sweep to clear its connections as a dead node's.
    /// </summary>
    public async Task HeartbeatAsync(string nodeId, IReadOnlyDictionary<string, LiveConnection> liveConnections)
    {
        var database = redis.GetDatabase();
        // A beat that finds its key expired may come after the sweep took the node for dead: it reconciles.
        var wasAlive = !(await database.StringSetAndGetAsync(NodeAliveKey(nodeId), "1", options.Value.NodeTimeout)).IsNull;
        var registered = await database.SetAddAsync(NodesKey, nodeId);
        var swept = !(await database.StringGetDeleteAsync(NodeSweptKey(nodeId))).IsNull;
        if (Interlocked.Exchange(ref _reconcileRequested, 0) == 1 | registered | !wasAlive | swept)
        {
            try
            {
                await ReconcileAsync(nodeId, liveConnections);
            }
            catch
            {
                RequestReconcile();
                throw;
            }
        }
    }

    /// <summary>Run by the Worker: every node whose heartbeat expired had its process die; its users' connections are gone.</summary>
    public async Task SweepDeadNodesAsync()
    {
        var database = redis.GetDatabase();
        foreach (var node in await database.SetMembersAsync(NodesKey))
        {
            var nodeId = node.ToString();
            if (await database.KeyExistsAsync(NodeAliveKey(nodeId)))
            {
                continue;
            }

            var started = time.GetTimestamp();
            var (count, wentOffline) = await ClearNodeAsync(nodeId);
            logger.LogInformation(
                "Realtime node {NodeId} stopped heartbeating; cleared: {Count} connection(s), {Offline} user(s) offline, in {Elapsed}",
                nodeId, count, wentOffline, time.GetElapsedTime(started));
        }
    }

    private async Task ReconcileAsync(string nodeId, IReadOnlyDictionary<string, LiveConnection> liveConnections)
    {
        var stored = await StoredConnectionsAsync(nodeId);
        var gone = stored.Where(s => !liveConnections.ContainsKey(s.Key)).ToList();
        var missing = liveConnections.Where(l => !stored.ContainsKey(l.Key)).ToList();
        await RemoveConnectionsAsync(nodeId, gone);

        // Checked again one by one: a connection that closed since the snapshot must not be put back. And once more
        // after its add: one that closed between the check and the add ran its own removal before the add, and would
        // otherwise keep its user online until the node's next reconcile, however far off.
        foreach (var (connectionId, connection) in missing.Where(m => liveConnections.ContainsKey(m.Key)))
        {
            await ConnectedAsync(nodeId, connectionId, connection.UserId);
            if (!liveConnections.ContainsKey(connectionId))
            {
                await DisconnectedAsync(nodeId, connectionId, connection.UserId);
            }
        }

        if (gone.Count + missing.Count > 0)
        {
            logger.LogInformation("Presence of node {NodeId} reconciled: {Gone} closed and {Missing} live connection(s) were out of step", nodeId, gone.Count, missing.Count);
        }
    }

    /// <summary>
    /// A node that stops cleanly takes itself out of the sweep, and out of presence the connections its closes left
    /// there (a close whose Redis write failed, waiting for a reconcile that no heartbeat will run now): its hash,
    /// where the sweep would find them, goes with it, and they would keep their users online for good.
    /// </summary>
    public async Task RemoveNodeAsync(string nodeId)
    {
        await ClearNodeAsync(nodeId);
        await redis.GetDatabase().KeyDeleteAsync([NodeAliveKey(nodeId), NodeSweptKey(nodeId)]);
    }

    /// <summary>
    /// Takes every connection of the node out of presence, each with its user's entry, and the node out of the swept
    /// nodes once it holds none: connections that come meanwhile (a node taken for dead that lives) are cleared too, so
    /// none is ever left in a user's set with no node to find it by. Returns the connections cleared and the users
    /// who went offline.
    /// </summary>
    private async Task<(int Connections, int WentOffline)> ClearNodeAsync(string nodeId)
    {
        var (cleared, wentOffline) = (0, 0);
        while (true)
        {
            var connections = await StoredConnectionsAsync(nodeId);
            wentOffline += await RemoveConnectionsAsync(nodeId, connections);
            cleared += connections.Count;
            if ((int)await redis.GetDatabase().ScriptEvaluateAsync(ForgetEmptyNodeScript, new
                {
                    nodes = (RedisKey)NodesKey,
                    nodeId,
                    nodeConnections = NodeConnectionsKey(nodeId),
                    swept = NodeSweptKey(nodeId),
                    sweptMs = (long)SweptWordLifetime.TotalMilliseconds,
                }) == 1)
            {
                return (cleared, wentOffline);
            }
        }
    }

    /// <summary>A node's connections as Redis holds them: connection id to user.</summary>
    private async Task<Dictionary<string, Guid>> StoredConnectionsAsync(string nodeId) =>
        (await redis.GetDatabase().HashGetAllAsync(NodeConnectionsKey(nodeId)))
            .ToDictionary(e => e.Name.ToString(), e => Guid.ParseExact(e.Value.ToString(), "N"));

    /// <summary>
    /// Removes connections of a node that are gone (a dead node's, or closes a node's writes missed) and takes
    /// their users offline where they were the last; returns how many users went offline. A dead node may have
    /// held ~17,000 connections, and its users must read offline within the contract's 60 s of its death: one at a
    /// time (a script, an UPDATE, a publish each) 10,000 took ~13 s here, in chunks (the scripts together, one
    /// UPDATE for the chunk's users) 1 s (RELIABILITY.md).
    /// </summary>
    private async Task<int> RemoveConnectionsAsync(string nodeId, IEnumerable<KeyValuePair<string, Guid>> connections)
    {
        var wentOffline = 0;
        foreach (var chunk in connections.Chunk(RemovalChunkSize))
        {
            var removed = await Task.WhenAll(chunk.Select(async connection =>
                (UserId: connection.Value, WasLast: await RemoveConnectionAsync(nodeId, connection.Key, connection.Value))));
            var offline = removed.Where(r => r.WasLast).Select(r => r.UserId).ToList();
            await WentOfflineAsync(offline);
            wentOffline += offline.Count;
        }

        return wentOffline;
    }

    private async Task WentOfflineAsync(IReadOnlyCollection<Guid> userIds)
    {
        if (userIds.Count == 0)
        {
            return;
        }

        SocialChatMetrics.PresenceChanged(online: false, userIds.Count);
        var lastSeenAt = time.GetUtcNow().UtcDateTime;
        try
        {
            lastSeenAt = await lastSeen.StoreAsync(userIds);
        }
        catch (Exception exception) when (TransientFailures.IsTransient(exception))
        {
            // The users are offline in Redis already, and lose only their stored lastSeenAt: a sweep or a node's stop goes
            // on to its next chunk, so that a dead node's users still read offline in time while PostgreSQL is away.
            logger.LogWarning(exception, "The lastSeenAt of {Count} user(s) who went offline was not stored: PostgreSQL is unavailable", userIds.Count);
        }
        finally
        {
            // Whatever the UPDATE's fate: the users are offline in Redis already, and their subscribers wait for the events.
            var stillOffline = await StillOfflineAsync(userIds);
            await Task.WhenAll(stillOffline.Select(userId => AnnounceAsync(new PresenceResponse(userId, false, lastSeenAt))));
        }
    }

    /// <summary>
    /// Those of these users with no connection now. One who came back, on any node, while their lastSeenAt was written
    /// has been announced online since: an offline event after that one would leave their watchers showing them offline
    /// while they are not. All of them when Redis does not answer (their events are best-effort then anyway).
    /// </summary>
    private async Task<IEnumerable<Guid>> StillOfflineAsync(IReadOnlyCollection<Guid> userIds)
    {
        try
        {
            var online = await OnlineAmongAsync(userIds);
            return userIds.Where(userId => !online.Contains(userId));
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, CancellationToken.None))
        {
            return userIds;
        }
    }

    /// <summary>
    /// PresenceChanged to the user's subscribers, best-effort: one Redis does not confirm in time is no longer waited
    /// for, and lost if Redis is away (the presence itself is written; subscribers read it again when they
    /// resubscribe), so a connect, a close or a sweep is not held by a hung Redis.
    /// </summary>
    private async Task AnnounceAsync(PresenceResponse presence)
    {
        try
        {
            await hub.Clients.Group(ChatGroups.Presence(presence.UserId)).PresenceChanged(presence).WaitAsync(outage.Value.DroppableWorkTimeout);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, CancellationToken.None))
        {
            // Not waited for any longer, not cancelled: behind a burst of connects on a starved machine, a Redis that is
            // up still publishes it late; only an unavailable one loses it.
            logger.LogWarning(exception, "PresenceChanged of user {UserId} was not confirmed within {Timeout} and is lost if Redis is unavailable",
                presence.UserId, outage.Value.DroppableWorkTimeout);
        }
    }
}
