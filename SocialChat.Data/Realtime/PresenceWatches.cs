using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Ends the presence watches a change may have hidden (an unfollow, a block, a member leaving a conversation). The change
/// is announced once to every node; each looks among its own connections' <see cref="WatchedUsers"/> for the watches
/// concerned, asks PostgreSQL about those alone, takes the hidden ones out of their target's presence group itself, and
/// confirms. The announcer waits for every node's confirmation, so once the change's caller is answered no node sends a
/// hidden watch another event. One announcement rather than a backplane removal per candidate pair, because the pairs
/// are many and the watches few: a member leaving a 10,000-member group is 20,000 pairs, nearly none of them watched.
/// </summary>
public sealed class PresenceWatches(
    IConnectionMultiplexer redis,
    ConnectionRegistry connections,
    PresenceTracker presence,
    IHubContext<ChatHub, IChatClient> hub,
    IOptions<RedisOutageOptions> outage,
    ILogger<PresenceWatches> logger) : IHostedService
{
    public static readonly RedisChannel VisibilityMayHaveEndedChannel = RedisChannel.Literal("socialchat:presence:visibility-may-have-ended");

    private const int GuidSize = 16;

    private readonly Guid _processId = Guid.NewGuid();
    private readonly ConcurrentDictionary<Guid, Confirmations> _announced = new();

    private RedisChannel ConfirmationsChannel => ConfirmationsChannelOf(_processId);

    /// <summary>
    /// Every process that may announce listens for the confirmations of its announcements. Not awaited: the Api and the
    /// Worker start while Redis is away, as they did before they announced; StackExchange.Redis keeps the subscription
    /// and makes it once it is connected, and until then an announcement waits out its bound and is logged.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.GetSubscriber().SubscribeAsync(ConfirmationsChannel, (_, confirmation) =>
        {
            if (_announced.TryGetValue(new Guid((byte[])confirmation!), out var confirmations))
            {
                confirmations.Add();
            }
        }).ContinueWith(
            subscribed => logger.LogWarning(subscribed.Exception, "Not yet subscribed to presence watch confirmations; Redis will be asked again on reconnect"),
            TaskContinuationOptions.OnlyOnFaulted);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(ConfirmationsChannel);

    /// <summary>
    /// Tells every node that the user and each of the others may no longer see one another, and returns once each has
    /// ended the watches that hides; throws when one has not within <see cref="RedisOutageOptions.DroppableWorkTimeout"/>.
    /// </summary>
    public async Task AnnounceAsync(Guid userId, IReadOnlyCollection<Guid> others)
    {
        var announcementId = Guid.NewGuid();
        var announcement = new byte[GuidSize * (3 + others.Count)];
        var offset = 0;
        foreach (var id in (IEnumerable<Guid>)[announcementId, _processId, userId, .. others])
        {
            id.TryWriteBytes(announcement.AsSpan(offset));
            offset += GuidSize;
        }

        var confirmations = _announced[announcementId] = new Confirmations();
        try
        {
            var nodes = await redis.GetSubscriber().PublishAsync(VisibilityMayHaveEndedChannel, announcement);
            await confirmations.AllOf(nodes).WaitAsync(outage.Value.DroppableWorkTimeout);
        }
        finally
        {
            _announced.TryRemove(announcementId, out _);
        }
    }

    /// <summary>
    /// What a node does with an announcement on <see cref="VisibilityMayHaveEndedChannel"/>. Never throws: a node that
    /// fails logs it and does not confirm, so its announcer logs it too.
    /// </summary>
    public async Task EndHiddenWatchesAsync(RedisValue announcement)
    {
        try
        {
            var bytes = (byte[])announcement!;
            var userId = new Guid(bytes.AsSpan(2 * GuidSize, GuidSize));
            var others = new HashSet<Guid>((bytes.Length - 3 * GuidSize) / GuidSize);
            for (var offset = 3 * GuidSize; offset + GuidSize <= bytes.Length; offset += GuidSize)
            {
                others.Add(new Guid(bytes.AsSpan(offset, GuidSize)));
            }

            var watches = WatchesConcerned(userId, others);
            if (watches.Count > 0)
            {
                var hidden = (await presence.HiddenPairsAsync([.. watches.Select(w => (w.WatcherId, w.TargetId)).Distinct()], CancellationToken.None)).ToHashSet();
                await Task.WhenAll(watches
                    .Where(w => hidden.Contains((w.WatcherId, w.TargetId)))
                    .Select(w => hub.Groups.RemoveFromGroupAsync(w.ConnectionId, ChatGroups.Presence(w.TargetId))));
            }

            await redis.GetSubscriber().PublishAsync(ConfirmationsChannelOf(new Guid(bytes.AsSpan(GuidSize, GuidSize))), bytes[..GuidSize]);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Presence watches a change may have hidden could not be ended on this node");
        }
    }

    private static RedisChannel ConfirmationsChannelOf(Guid processId) => RedisChannel.Literal($"socialchat:presence:visibility-confirmations:{processId:N}");

    /// <summary>This node's watches of the user by the others and of the others by the user: one pass over its connections.</summary>
    private List<(string ConnectionId, Guid WatcherId, Guid TargetId)> WatchesConcerned(Guid userId, HashSet<Guid> others)
    {
        var watches = new List<(string, Guid, Guid)>();
        foreach (var (connectionId, connection) in connections.Connections)
        {
            if (WatchedUsers.Of(connection.Context) is not { } watched)
            {
                continue;
            }

            var targets = connection.UserId == userId ? watched.Among(others)
                : others.Contains(connection.UserId) && watched.Contains(userId) ? [userId]
                : [];
            if (targets.Count > 0)
            {
                watched.CountChangeChecked();
                watches.AddRange(targets.Select(target => (connectionId, connection.UserId, target)));
            }
        }

        return watches;
    }

    /// <summary>The nodes' confirmations of one announcement, which may come before PUBLISH has said how many nodes heard it.</summary>
    private sealed class Confirmations
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _received;
        private long _expected = long.MaxValue;

        public void Add()
        {
            if (Interlocked.Increment(ref _received) >= Interlocked.Read(ref _expected))
            {
                _all.TrySetResult();
            }
        }

        public Task AllOf(long nodes)
        {
            Interlocked.Exchange(ref _expected, nodes);
            if (Interlocked.Read(ref _received) >= nodes)
            {
                _all.TrySetResult();
            }

            return _all.Task;
        }
    }
}
