namespace SocialChat.Data.Realtime;

/// <summary>
/// What live presence subscriptions are told after a change that can end whose presence a user may see has committed
/// (an unfollow, a block, a member leaving a conversation): a subscription lasts only as long as the contract lets its
/// watcher see the user, on every node, without waiting for a reconnect.
/// </summary>
public interface IPresenceSubscriptions
{
    /// <summary>
    /// The user and each of the others may no longer see one another: every watch between them (either way) whose watcher
    /// may no longer see its target stops getting the target's PresenceChanged. Best-effort, like every realtime event.
    /// </summary>
    Task VisibilityMayHaveEndedAsync(Guid userId, IReadOnlyCollection<Guid> others);
}
