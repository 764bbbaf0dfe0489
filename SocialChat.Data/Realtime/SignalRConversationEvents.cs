using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Conversation events through the hub's clients and the Redis backplane, so whichever process committed a
/// change (Api or a Realtime node), every member's connection on every node hears of it. Delivery is
/// best-effort: a failure here is logged, never undoes the committed change; clients catch up with
/// <c>GET …/messages?after=</c>. Nor does it hold the change's caller: a delivery Redis does not take within
/// <see cref="RedisOutageOptions.DroppableWorkTimeout"/> counts as failed (it may still go out later).
/// </summary>
public sealed class SignalRConversationEvents(
    IHubContext<ChatHub, IChatClient> hub,
    PresenceTracker presence,
    PresenceWatches watches,
    TypingThrottle typing,
    SocialDbContext db,
    IOptions<RedisOutageOptions> outage,
    ILogger<SignalRConversationEvents> logger) : IConversationEvents, INotificationPublisher, IPresenceSubscriptions
{
    /// <summary>Users (or removals) per chunk: a burst of lookups Redis takes in one go, and a bounded view query.</summary>
    private const int DeliveryChunkSize = 1_000;

    public async Task MessageReceivedAsync(MessageResponse message)
    {
        if (await DeliverAsync(() => hub.Clients.Group(ChatGroups.Conversation(message.ConversationId)).MessageReceived(message)))
        {
            SocialChatMetrics.MessagesDelivered.Add(1);
            SocialChatMetrics.MessageDeliveryLag.Record((DateTime.UtcNow - message.CreatedAt).TotalMilliseconds);
        }
    }

    public Task MessageEditedAsync(MessageResponse message) =>
        DeliverAsync(() => hub.Clients.Group(ChatGroups.Conversation(message.ConversationId)).MessageEdited(message));

    public Task MessageDeletedAsync(Guid conversationId, long seq, long revision) =>
        DeliverAsync(() => hub.Clients.Group(ChatGroups.Conversation(conversationId)).MessageDeleted(new MessageDeletedEvent(conversationId, seq, revision)));

    public Task ReadReceiptAsync(Guid conversationId, Guid userId, long seq) =>
        DeliverAsync(() => hub.Clients.Group(ChatGroups.Conversation(conversationId)).ReadReceipt(new ReadReceiptEvent(conversationId, userId, seq)));

    /// <summary>
    /// Group membership is per connection, so the user's live connections (on any node, found in the
    /// presence sets) join or leave the conversation's group through the backplane, which waits for the
    /// owning node to confirm; the next message then reaches them without a reconnect. A removed member's
    /// devices are told ConversationRemoved once out of the group, so nothing sent to the group after it reaches
    /// them (ConversationChanged goes to members alone). A removed member and those who stay may each have
    /// watched the other's presence on the strength of this conversation alone. An added member's connections join
    /// the group just before they are told ConversationChanged, found by the same lookup.
    /// </summary>
    public async Task MembershipChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> added, IReadOnlyCollection<Guid> removed)
    {
        var group = ChatGroups.Conversation(conversationId);
        await ForEachConnectionAsync(removed, async connectionId =>
        {
            await hub.Groups.RemoveFromGroupAsync(connectionId, group);
            await hub.Clients.Client(connectionId).ConversationRemoved(new ConversationRemovedEvent(conversationId));
        });

        if (removed.Count > 0)
        {
            await DeliverAsync(() => typing.AnnounceMembershipsEndedAsync(conversationId, removed));
        }

        var members = await db.ConversationMembers.Where(m => m.ConversationId == conversationId).Select(m => m.UserId).ToListAsync();
        foreach (var gone in removed)
        {
            await VisibilityMayHaveEndedAsync(gone, members);
        }

        await ConversationChangedAsync(conversationId, members, joining: added);
    }

    /// <summary>
    /// The watchers who may no longer see their target leave its presence group, so the next PresenceChanged passes
    /// them by; should they be allowed to see it again, they subscribe again. Each node finds its own such watches.
    /// </summary>
    public Task VisibilityMayHaveEndedAsync(Guid userId, IReadOnlyCollection<Guid> others) =>
        DeliverAsync(() => watches.AnnounceAsync(userId, others));

    /// <summary>
    /// Each of these users with a live connection gets the conversation as they see it (their read marker and unread
    /// count). Only they: each view costs an unread count, and most members of a large group are offline. In chunks,
    /// each chunk's connections looked up side by side; those of members joining the conversation join its group first,
    /// side by side too, as a group may be created or joined by thousands at once.
    /// </summary>
    public Task ConversationChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds) =>
        ConversationChangedAsync(conversationId, userIds, joining: []);

    private async Task ConversationChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds, IReadOnlyCollection<Guid> joining)
    {
        var group = ChatGroups.Conversation(conversationId);
        var joiners = joining.ToHashSet();
        foreach (var chunk in userIds.Chunk(DeliveryChunkSize))
        {
            IReadOnlyDictionary<Guid, IReadOnlyList<string>> connectionsOf = new Dictionary<Guid, IReadOnlyList<string>>();
            if (!await DeliverAsync(async () => connectionsOf = await ConnectionsOfEachAsync(chunk)))
            {
                continue;
            }

            var connected = connectionsOf.Where(c => c.Value.Count > 0).Select(c => c.Key).ToList();
            if (connected.Count == 0)
            {
                continue;
            }

            await DeliverAsync(() => Task.WhenAll(
                connected.Where(joiners.Contains).SelectMany(userId => connectionsOf[userId]).Select(connectionId => hub.Groups.AddToGroupAsync(connectionId, group))));
            var views = await ConversationViews.LoadAsync(
                db, db.ConversationMembers.Where(m => m.ConversationId == conversationId && connected.Contains(m.UserId)), CancellationToken.None);
            await DeliverAsync(() => Task.WhenAll(views.Select(v => hub.Clients.Clients(connectionsOf[v.UserId]).ConversationChanged(v.Conversation))));
        }
    }

    public Task PublishAsync(Guid recipientId, NotificationResponse notification, CancellationToken cancellationToken) =>
        DeliverAsync(async () => await (await ConnectionsOfAsync(recipientId)).Notification(notification));

    /// <summary>
    /// Every live connection of a user, on every node, by the ids in the presence sets rather than a group per
    /// user: a group costs each node a backplane subscription per connected user (memory, and a subscribe on the
    /// connect path that the backplane serialises per node), while these ids are kept anyway.
    /// </summary>
    private async Task<IChatClient> ConnectionsOfAsync(Guid userId) => hub.Clients.Clients(await presence.ConnectionsOfAsync(userId));

    /// <summary>
    /// Does this to every live connection of these users, on any node: in chunks, each delivered or dropped as a whole,
    /// the chunk's lookups in one pipelined burst and its changes side by side, since every group change from another
    /// process waits for the owning node's confirmation.
    /// </summary>
    private async Task ForEachConnectionAsync(IReadOnlyCollection<Guid> userIds, Func<string, Task> change)
    {
        foreach (var chunk in userIds.Chunk(DeliveryChunkSize))
        {
            await DeliverAsync(async () =>
            {
                var connectionsOf = await ConnectionsOfEachAsync(chunk);
                await Task.WhenAll(connectionsOf.Values.SelectMany(connectionIds => connectionIds).Select(change));
            });
        }
    }

    /// <summary>Every live connection of each of these users, their lookups side by side (one pipelined burst to Redis).</summary>
    private async Task<IReadOnlyDictionary<Guid, IReadOnlyList<string>>> ConnectionsOfEachAsync(IEnumerable<Guid> userIds) =>
        (await Task.WhenAll(userIds.Select(async userId => (UserId: userId, ConnectionIds: await presence.ConnectionsOfAsync(userId)))))
            .ToDictionary(c => c.UserId, c => c.ConnectionIds);

    private async Task<bool> DeliverAsync(Func<Task> delivery)
    {
        try
        {
            await delivery().WaitAsync(outage.Value.DroppableWorkTimeout);
            return true;
        }
        // No caller cancels a delivery: a cancelled one is Redis giving up on it, and is dropped like any failure.
        catch (Exception exception)
        {
            logger.LogWarning(exception, "A realtime event could not be delivered; clients catch up from history");
            return false;
        }
    }
}
