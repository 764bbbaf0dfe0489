using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Messages;

public sealed class MessageNotificationTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Members_without_a_live_connection_are_notified_of_messages_once_until_they_read_the_notification_or_the_conversation()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        var (sender, offline, online, another) = (users[0], users[1], users[2], users[3]);
        await using var onlineHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), online.AccessToken);
        var group = await Chat.CreateGroupAsync(sender, offline, online, another);

        await Chat.SendAsync(sender, group.Id, "first");
        var first = Assert.Single(await MessageNotificationsWhenAsync(offline, n => n.Count == 1));
        Assert.Equal(group.Id, first.ConversationId);
        Assert.Equal(sender.Id, first.Actor.Id);
        Assert.Null(first.ReadAt);
        Assert.Null(first.PostId);
        var anothersFirst = Assert.Single(await MessageNotificationsWhenAsync(another, n => n.Count == 1));

        // The pass that notified the offline members looked at the online one and the sender in the same statement.
        Assert.Empty(await MessageNotificationsAsync(online));
        Assert.Empty(await MessageNotificationsAsync(sender));

        // One member reads their notification, the other does not: only the first hears of the next message.
        Assert.Equal(HttpStatusCode.NoContent, (await another.Client.PostJsonAsync("/api/v1/notifications/read", new { upTo = anothersFirst.Id })).StatusCode);
        await Chat.SendAsync(sender, group.Id, "second");
        await MessageNotificationsWhenAsync(another, n => n.Count == 2);
        Assert.Equal(first.Id, Assert.Single(await MessageNotificationsAsync(offline)).Id);

        // Reading the conversation reads its notification too, and makes room for the next message's.
        Assert.Equal(HttpStatusCode.NoContent, (await offline.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/read", new { seq = 2 })).StatusCode);
        Assert.NotNull(Assert.Single(await MessageNotificationsAsync(offline)).ReadAt);
        await Chat.SendAsync(sender, group.Id, "third");
        var afterReading = await MessageNotificationsWhenAsync(offline, n => n.Count == 2);
        Assert.Null(afterReading[0].ReadAt);
        Assert.Equal(group.Id, afterReading[0].ConversationId);
    }

    [Fact]
    public async Task A_direct_message_to_someone_offline_notifies_them_and_a_reply_notifies_nobody_who_is_online()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(alice, bob);

        await Chat.SendAsync(alice, direct.Id, "are you there?");
        var notification = Assert.Single(await MessageNotificationsWhenAsync(bob, n => n.Count == 1));
        Assert.Equal(direct.Id, notification.ConversationId);
        Assert.Equal(alice.Id, notification.Actor.Id);

        // Alice is online now; Bob's reply reaches her live, and his own message does not notify him. Carol, offline
        // in a direct conversation of her own with Bob, is a marker that the Worker has passed Bob's reply.
        await using var aliceHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), alice.AccessToken);
        var carol = await TestUser.RegisterAsync(fixture);
        var toCarol = await Chat.OpenDirectAsync(bob, carol);
        await Chat.SendAsync(bob, direct.Id, "yes");
        await Chat.SendAsync(bob, toCarol.Id, "and you?");
        await aliceHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Body == "yes");
        await MessageNotificationsWhenAsync(carol, n => n.Count == 1);
        Assert.Empty(await MessageNotificationsAsync(alice));
        Assert.Single(await MessageNotificationsAsync(bob));
    }

    [Fact]
    public async Task A_member_who_leaves_or_is_removed_no_longer_sees_the_groups_message_notification()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        var (owner, removed, leaving) = (users[0], users[1], users[2]);
        var group = await Chat.CreateGroupAsync(owner, removed, leaving);
        await Chat.SendAsync(owner, group.Id, "before you go");
        await MessageNotificationsWhenAsync(removed, n => n.Count == 1);
        await MessageNotificationsWhenAsync(leaving, n => n.Count == 1);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{removed.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await leaving.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{leaving.Id}")).StatusCode);

        Assert.Empty(await MessageNotificationsAsync(removed));
        Assert.Empty(await MessageNotificationsAsync(leaving));
    }

    /// <summary>
    /// <c>unreadCount</c> leaves deleted messages out, and so does the notification: a member whose only unread message
    /// was deleted before the Worker looked is not told of it. The Worker's own pass sees the member online (the marker,
    /// offline, is notified by it); the notifier then looks again here, the member gone offline meanwhile.
    /// </summary>
    [Fact]
    public async Task A_member_whose_only_unread_message_was_deleted_is_not_notified_of_it()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        var (sender, member, marker) = (users[0], users[1], users[2]);
        var deletedIn = await Chat.CreateGroupAsync(sender, member, marker);
        var keptIn = await Chat.CreateGroupAsync(sender, member, marker);
        var memberHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), member.AccessToken);
        var deleted = await Chat.SendAsync(sender, deletedIn.Id, "soon deleted");
        await Chat.SendAsync(sender, keptIn.Id, "kept");
        await MessageNotificationsWhenAsync(marker, n => n.Count == 2);
        Assert.Equal(HttpStatusCode.NoContent, (await sender.Client.DeleteAsync($"/api/v1/conversations/{deletedIn.Id}/messages/{deleted.Seq}")).StatusCode);
        await memberHub.DisposeAsync();

        var notified = await NotifyOnceOfflineAsync(member, deletedIn.Id, keptIn.Id);

        Assert.Equal(1, notified);
        Assert.Equal([keptIn.Id], (await MessageNotificationsAsync(member)).Select(n => n.ConversationId));
    }

    /// <summary>
    /// A block separates the two members of a direct conversation: a message notification there would come from someone
    /// the recipient blocked. The Worker's own pass sees the recipient online (a later message to an offline marker,
    /// taken in the same pass or after, tells that it has run); the notifier then looks again here, the recipient having
    /// blocked the sender and gone offline meanwhile.
    /// </summary>
    [Fact]
    public async Task A_direct_message_from_someone_the_recipient_then_blocks_does_not_notify_them()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        var (sender, recipient, other, marker) = (users[0], users[1], users[2], users[3]);
        var blockedIn = await Chat.OpenDirectAsync(sender, recipient);
        var toMarker = await Chat.OpenDirectAsync(other, marker);
        var recipientHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), recipient.AccessToken);
        await Chat.SendAsync(sender, blockedIn.Id, "are you there?");
        await Chat.SendAsync(other, toMarker.Id, "and you?");
        await MessageNotificationsWhenAsync(marker, n => n.Count == 1);
        Assert.Equal(HttpStatusCode.NoContent, (await recipient.Client.PostAsync($"/api/v1/users/{sender.Id}/block", null)).StatusCode);
        await recipientHub.DisposeAsync();

        var notified = await NotifyOnceOfflineAsync(recipient, blockedIn.Id);

        Assert.Equal(0, notified);
        Assert.Empty(await MessageNotificationsAsync(recipient));
    }

    /// <summary>The Worker's notifier run here on these conversations, once the member reads offline.</summary>
    private async Task<int> NotifyOnceOfflineAsync(TestUser member, params Guid[] conversationIds)
    {
        using var host = await InProcessServices.BuildAsync(fixture);
        var presence = host.Services.GetRequiredService<PresenceTracker>();
        await Eventually.HoldsAsync(() => presence.OnlineAmongAsync([member.Id]), online => online.Count == 0);
        await using var scope = host.Services.CreateAsyncScope();
        return await new MessageNotifier(scope.ServiceProvider.GetRequiredService<SocialDbContext>(), presence)
            .NotifyOfflineMembersAsync(conversationIds, TestContext.Current.CancellationToken);
    }

    private static async Task<List<NotificationResponse>> MessageNotificationsAsync(TestUser user) =>
        [.. (await SocialSteps.NotificationsAsync(user)).Where(n => n.Kind == NotificationKind.Message)];

    private static Task<List<NotificationResponse>> MessageNotificationsWhenAsync(TestUser user, Func<List<NotificationResponse>, bool> condition) =>
        Eventually.HoldsAsync(() => MessageNotificationsAsync(user), condition);
}
