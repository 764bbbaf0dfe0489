namespace SocialChat.Data.Realtime;

/// <summary>
/// What live presence subscriptions are told after a change that can end whose presence a user may see has committed
/// (an unfollow, a block, a member leaving a conversation): a subscription lasts only as long as the contract lets its
/// watcher see the user, on every node, without waiting for a reconnect.
/// </summary>
public interface IPresenceSubscriptions
{
    /// <summary>Of these watcher → target pairs, those whose watcher may no longer see the target stop getting its PresenceChanged.</summary>
    Task VisibilityMayHaveEndedAsync(IReadOnlyCollection<(Guid WatcherId, Guid TargetId)> pairs);
}
