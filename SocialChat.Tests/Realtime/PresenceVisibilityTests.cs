using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

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
