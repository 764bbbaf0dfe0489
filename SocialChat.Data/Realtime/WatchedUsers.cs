using Microsoft.AspNetCore.SignalR;

namespace SocialChat.Data.Realtime;

/// <summary>
/// The users a hub connection asked to watch the presence of (SubscribePresence), kept with the connection: the cap
/// counts them, and <see cref="PresenceWatches"/> looks here for the watches a change may have ended. That node-side
/// lookup runs beside the connection's own invocations, hence the lock.
/// </summary>
public sealed class WatchedUsers
{
    private const string ItemKey = "presence:watched";

    private readonly HashSet<Guid> _users = [];

    private long _changesChecked;

    /// <summary>
    /// How many announced changes (an unfollow, a block, a member leaving) found watches of this connection's to check.
    /// A subscription that sees this move while it joins presence groups asks again about those it joined: the
    /// change's check may have ended them before they were joined.
    /// </summary>
    public long ChangesChecked => Interlocked.Read(ref _changesChecked);

    /// <summary>Null for a connection that never watched anyone, which most connections hold no set for.</summary>
    public static WatchedUsers? Of(HubCallerContext connection) =>
        connection.Items.TryGetValue(ItemKey, out var watched) ? (WatchedUsers?)watched : null;

    public static WatchedUsers For(HubCallerContext connection)
    {
        if (Of(connection) is { } watched)
        {
            return watched;
        }

        var created = new WatchedUsers();
        connection.Items[ItemKey] = created;
        return created;
    }

    /// <summary>Counts a change that found watches here; before it ends any of them.</summary>
    public void CountChangeChecked() => Interlocked.Increment(ref _changesChecked);

    /// <summary>Adds these users, unless that would take the connection past <paramref name="max"/>.</summary>
    public bool TryAdd(IReadOnlyCollection<Guid> userIds, int max)
    {
        lock (_users)
        {
            if (_users.Count + userIds.Distinct().Count(id => !_users.Contains(id)) > max)
            {
                return false;
            }

            _users.UnionWith(userIds);
            return true;
        }
    }

    public bool Contains(Guid userId)
    {
        lock (_users)
        {
            return _users.Contains(userId);
        }
    }

    public List<Guid> Among(IReadOnlySet<Guid> userIds)
    {
        lock (_users)
        {
            return [.. _users.Where(userIds.Contains)];
        }
    }
}
