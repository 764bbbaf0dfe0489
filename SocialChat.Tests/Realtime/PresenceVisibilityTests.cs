using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using SocialChat.Data.Conversations;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;
using StackExchange.Redis;

namespace SocialChat.Tests.Realtime;

/// <summary>
/// A subscription to someone's presence lasts only while the subscriber may see them: once an unfollow, a block or a
/// removal from the last shared conversation commits, their live connections get no more of that user's events. Each
/// test keeps a control who may still see the target, on the same node as the watcher, so the event is known to have
/// gone out: changes are made through the Api and watched from Realtime replica 1, so they cross the backplane.
/// </summary>
public sealed class PresenceVisibilityTests(SocialChatAppFixture fixture)
{
    private Task<HubClient> ConnectAsync(TestUser user, int replica) =>
        HubClient.ConnectAsync(fixture.GetEndpoint("realtime", replica), user.AccessToken);

    [Fact]
    public async Task An_unfollowing_watcher_stops_getting_presence_events_until_they_follow_and_subscribe_again()
    {
        var (watcherUser, controlUser, target) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        await SocialSteps.FollowAsync(watcherUser, target);
        await SocialSteps.FollowAsync(controlUser, target);
        await using var watcher = await SubscribeAsync(watcherUser, 1, target);
        await using var control = await SubscribeAsync(controlUser, 1, target);

        await ExpectNoContentAsync(watcherUser.Client.DeleteAsync($"/api/v1/users/{target.Id}/follow"));
        await using var targetHub = await ConnectAsync(target, 0);

        await AssertOnlyControlHearsAsync(watcher, control, p => p.UserId == target.Id && p.Online);
        Assert.Equal(new PresenceResponse(target.Id, false, null), Assert.Single(await PresenceAsync(watcherUser, target)));

        // Visible again, the watcher is told again once they subscribe again.
        await SocialSteps.FollowAsync(watcherUser, target);
        await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { target.Id });
        await targetHub.DisposeAsync();
        await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == target.Id && !p.Online);
    }

    [Fact]
    public async Task Members_who_no_longer_share_a_conversation_stop_getting_each_others_presence_events()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var leaver = await TestUser.RegisterAsync(fixture);
        var watchedByLeaver = await TestUser.RegisterAsync(fixture);
        var watchingLeaver = await TestUser.RegisterAsync(fixture);
        var controlUser = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, leaver, watchedByLeaver, watchingLeaver);
        await SocialSteps.FollowAsync(controlUser, leaver);
        await SocialSteps.FollowAsync(controlUser, watchedByLeaver);
        await using var leaverHub = await SubscribeAsync(leaver, 1, watchedByLeaver);
        await using var watcherOfLeaver = await SubscribeAsync(watchingLeaver, 1, leaver);
        await using var control = await SubscribeAsync(controlUser, 1, leaver, watchedByLeaver);

        await ExpectNoContentAsync(owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{leaver.Id}"));

        // The removed member no longer sees the ones who stay...
        await using var watchedHub = await ConnectAsync(watchedByLeaver, 0);
        await AssertOnlyControlHearsAsync(leaverHub, control, p => p.UserId == watchedByLeaver.Id && p.Online);
        // ...nor do they see the removed member.
        await leaverHub.DisposeAsync();
        await AssertOnlyControlHearsAsync(watcherOfLeaver, control, p => p.UserId == leaver.Id && !p.Online);
    }

    [Fact]
    public async Task A_blocked_watcher_stops_getting_the_blockers_presence_events()
    {
        var (watcherUser, controlUser, blocker) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        await SocialSteps.FollowAsync(watcherUser, blocker);
        await SocialSteps.FollowAsync(controlUser, blocker);
        await using var watcher = await SubscribeAsync(watcherUser, 1, blocker);
        await using var control = await SubscribeAsync(controlUser, 1, blocker);

        await ExpectNoContentAsync(blocker.Client.PostAsync($"/api/v1/users/{watcherUser.Id}/block", null));
        await using var blockerHub = await ConnectAsync(blocker, 0);

        await AssertOnlyControlHearsAsync(watcher, control, p => p.UserId == blocker.Id && p.Online);
        Assert.Equal(new PresenceResponse(blocker.Id, false, null), Assert.Single(await PresenceAsync(watcherUser, blocker)));
    }

    [Fact]
    public async Task A_member_removed_while_a_subscription_to_them_joins_its_presence_groups_stays_hidden()
    {
        // The owner subscribes to a whole group of the most users one call may name. The node joins their presence groups
        // one by one, in the order PostgreSQL answers (by id, and so by creation): the target, created last, is joined
        // last, and is removed from the group while the others are joined, after the subscription found them visible.
        var (owner, controlUser) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var others = await TestDatabase.InsertUsersAsync(fixture, new PresenceOptions().MaxUsersPerQuery - 1);
        var target = await TestUser.RegisterAsync(fixture);
        var group = await (await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Everyone", memberIds = others.Append(target.Id) }))
            .ReadAsync<ConversationResponse>();
        await SocialSteps.FollowAsync(controlUser, target);
        await using var control = await SubscribeAsync(controlUser, 1, target);
        await using var watcher = await ConnectAsync(owner, 1);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.GetConnectionStringAsync("cache")) + ",allowAdmin=true");
        var server = redis.GetServers().Single();

        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // The removal waits on the group's row, and is let go once the first group is joined.
        Task<HttpResponseMessage> removal;
        Task<List<PresenceResponse>> subscribing;
        await using (var hold = await LockWaits.HoldRowAsync(database, "conversations", group.Id))
        {
            removal = owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{target.Id}");
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 1);
            subscribing = watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", others.Append(target.Id).ToArray());
            var firstJoined = RedisChannel.Pattern($"*:group:{ChatGroups.Presence(others[0])}");
            while ((await server.SubscriptionChannelsAsync(firstJoined)).Length == 0)
            {
                Assert.False(subscribing.IsCompleted, "The subscription ended before its first presence group was seen joined.");
            }

            await hold.RollbackAsync();
        }

        await ExpectNoContentAsync(removal);
        Assert.Equal(new PresenceResponse(target.Id, false, null), (await subscribing).Single(p => p.UserId == target.Id));
        await using var targetHub = await ConnectAsync(target, 0);

        await AssertOnlyControlHearsAsync(watcher, control, p => p.UserId == target.Id && p.Online);
    }

    private async Task<HubClient> SubscribeAsync(TestUser user, int replica, params TestUser[] watched)
    {
        var hub = await ConnectAsync(user, replica);
        await hub.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", watched.Select(w => w.Id).ToArray());
        return hub;
    }

    /// <summary>
    /// The control on the watcher's node hears the event; one round trip on the watcher's connection later, anything that
    /// node sent the watcher along with it has arrived, so its absence means it was not sent.
    /// </summary>
    private static async Task AssertOnlyControlHearsAsync(HubClient watcher, HubClient control, Func<PresenceResponse, bool> presenceEvent)
    {
        await control.WaitForAsync("PresenceChanged", presenceEvent);
        await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Array.Empty<Guid>());
        Assert.DoesNotContain(watcher.Received<PresenceResponse>("PresenceChanged"), p => presenceEvent(p));
    }

    private static async Task<List<PresenceResponse>> PresenceAsync(TestUser viewer, TestUser user) =>
        await (await viewer.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { user.Id } })).ReadAsync<List<PresenceResponse>>();

    private static async Task ExpectNoContentAsync(Task<HttpResponseMessage> call) =>
        Assert.Equal(HttpStatusCode.NoContent, (await call).StatusCode);
}
