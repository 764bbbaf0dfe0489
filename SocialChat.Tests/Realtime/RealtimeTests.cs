using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Realtime;

/// <summary>Alice on Realtime replica 0, Bob on replica 1: everything must cross nodes through the backplane.</summary>
public sealed class RealtimeTests(SocialChatAppFixture fixture)
{
    private Task<HubClient> ConnectAsync(TestUser user, int replica, bool messagePack = false) =>
        HubClient.ConnectAsync(fixture.GetEndpoint("realtime", replica), user.AccessToken, messagePack);

    [Fact]
    public async Task Messages_sent_over_rest_and_over_the_hub_reach_a_member_on_the_other_node()
    {
        var (alice, bob, direct) = await PairAsync();
        await using var aliceHub = await ConnectAsync(alice, 0);
        await using var bobHub = await ConnectAsync(bob, 1);

        var overRest = await Chat.SendAsync(alice, direct.Id, "over REST");
        var overHub = await aliceHub.Connection.InvokeAsync<MessageResponse>("SendMessage", direct.Id, Guid.NewGuid(), "over the hub", null);

        Assert.Equal(overRest.Id, (await bobHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Seq == 1)).Id);
        var received = await bobHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Seq == 2);
        Assert.Equal("over the hub", received.Body);
        Assert.Equal(overHub.Id, received.Id);
        Assert.Equal(alice.Id, received.SenderId);
    }

    [Fact]
    public async Task Typing_crosses_nodes_is_throttled_and_never_echoed_to_the_typer()
    {
        var (alice, bob, direct) = await PairAsync();
        await using var aliceHub = await ConnectAsync(alice, 0);
        await using var bobHub = await ConnectAsync(bob, 1);

        for (var i = 0; i < 3; i++)
        {
            await aliceHub.Connection.InvokeAsync("Typing", direct.Id, true);
        }

        await aliceHub.Connection.InvokeAsync("Typing", direct.Id, false);

        await bobHub.WaitForAsync<TypingChangedEvent>("TypingChanged", t => !t.IsTyping);
        var events = bobHub.Received<TypingChangedEvent>("TypingChanged");
        Assert.Equal([true, false], events.Select(t => t.IsTyping));
        Assert.All(events, t => Assert.Equal(alice.Id, t.UserId));
        Assert.Empty(aliceHub.Received<TypingChangedEvent>("TypingChanged"));
    }

    [Fact]
    public async Task Repeated_stops_are_forwarded_once_and_a_stop_without_an_indicator_not_at_all()
    {
        var (alice, bob, direct) = await PairAsync();
        await using var aliceHub = await ConnectAsync(alice, 0);
        await using var bobHub = await ConnectAsync(bob, 1);

        await aliceHub.Connection.InvokeAsync("Typing", direct.Id, false);
        await aliceHub.Connection.InvokeAsync("Typing", direct.Id, true);
        for (var i = 0; i < 4; i++)
        {
            await aliceHub.Connection.InvokeAsync("Typing", direct.Id, false);
        }

        await bobHub.WaitForAsync<TypingChangedEvent>("TypingChanged", t => !t.IsTyping);
        // Typing again right after a stop shows at once.
        await aliceHub.Connection.InvokeAsync("Typing", direct.Id, true);
        await bobHub.WaitForAsync<TypingChangedEvent>("TypingChanged", t => t.IsTyping && bobHub.Received<TypingChangedEvent>("TypingChanged").Count == 3);
        Assert.Equal([true, false, true], bobHub.Received<TypingChangedEvent>("TypingChanged").Select(t => t.IsTyping));
    }

    [Fact]
    public async Task A_removed_member_can_no_longer_type_into_the_group_on_either_node()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var removed = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, removed);
        await using var ownerHub = await ConnectAsync(owner, 0);
        await using var removedOnNode0 = await ConnectAsync(removed, 0);
        await using var removedOnNode1 = await ConnectAsync(removed, 1);
        HubClient[] removedHubs = [removedOnNode0, removedOnNode1];
        // Each node remembers the membership while the member types.
        foreach (var hub in removedHubs)
        {
            await hub.Connection.InvokeAsync("Typing", group.Id, true);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{removed.Id}")).StatusCode);

        foreach (var hub in removedHubs)
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync("Typing", group.Id, false));
            Assert.Contains("Conversation not found", refused.Message, StringComparison.Ordinal);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(ownerHub.Received<TypingChangedEvent>("TypingChanged"), t => !t.IsTyping);
    }

    [Fact]
    public async Task A_user_refused_typing_before_they_were_added_can_type_once_added()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var newcomer = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, await TestUser.RegisterAsync(fixture));
        await using var ownerHub = await ConnectAsync(owner, 1);
        await using var newcomerHub = await ConnectAsync(newcomer, 0);
        await Assert.ThrowsAsync<HubException>(() => newcomerHub.Connection.InvokeAsync("Typing", group.Id, true));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { newcomer.Id } })).StatusCode);
        await newcomerHub.WaitForAsync<ConversationResponse>("ConversationChanged", c => c.Id == group.Id);
        await newcomerHub.Connection.InvokeAsync("Typing", group.Id, true);

        Assert.Equal(newcomer.Id, (await ownerHub.WaitForAsync<TypingChangedEvent>("TypingChanged", t => t.ConversationId == group.Id && t.IsTyping)).UserId);
    }

    [Fact]
    public async Task Read_receipts_reach_the_other_member_on_the_other_node()
    {
        var (alice, bob, direct) = await PairAsync();
        await Chat.SendAsync(alice, direct.Id, "read me");
        await using var aliceHub = await ConnectAsync(alice, 0);
        await using var bobHub = await ConnectAsync(bob, 1);

        await bobHub.Connection.InvokeAsync("MarkRead", direct.Id, 1L);

        var receipt = await aliceHub.WaitForAsync<ReadReceiptEvent>("ReadReceipt");
        Assert.Equal(new ReadReceiptEvent(direct.Id, bob.Id, 1), receipt);
    }

    [Fact]
    public async Task A_user_stays_online_while_any_connection_on_any_node_is_open()
    {
        var (alice, bob, _) = await PairAsync();
        await using var watcher = await ConnectAsync(alice, 0);
        var initial = await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { bob.Id });
        Assert.False(Assert.Single(initial).Online);

        var phone = await ConnectAsync(bob, 0);
        await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == bob.Id && p.Online);
        var laptop = await ConnectAsync(bob, 1);
        await phone.DisposeAsync();

        var stillOnline = await bob.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { bob.Id } });
        Assert.True(Assert.Single(await stillOnline.ReadAsync<List<PresenceResponse>>()).Online);
        var viaAlice = await (await alice.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { bob.Id } })).ReadAsync<List<PresenceResponse>>();
        Assert.True(Assert.Single(viaAlice).Online);

        await laptop.DisposeAsync();
        var offline = await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == bob.Id && !p.Online);
        Assert.NotNull(offline.LastSeenAt);
        Assert.Single(watcher.Received<PresenceResponse>("PresenceChanged"), p => !p.Online);
    }

    /// <summary>
    /// The last close stores lastSeenAt before it announces offline, and a connect in between (here while bob's row is
    /// held, so that write waits) is announced online at once: the offline event must not follow it.
    /// </summary>
    [Fact]
    public async Task A_user_back_online_while_their_last_seen_time_is_written_is_not_announced_offline_after_it()
    {
        var (alice, bob, _) = await PairAsync();
        var carol = await TestUser.RegisterAsync(fixture);
        await SocialSteps.FollowAsync(alice, carol);
        await using var watcher = await ConnectAsync(alice, 0);
        await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { bob.Id, carol.Id });
        await using var phone = await ConnectAsync(bob, 0);
        await using var control = await ConnectAsync(carol, 0);
        await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == bob.Id && p.Online);
        await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == carol.Id && p.Online);

        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();
        await using (var hold = await LockWaits.HoldRowAsync(database, "users", bob.Id))
        {
            await phone.DisposeAsync();
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 1);
            await using var laptop = await ConnectAsync(bob, 1);
            await Eventually.HoldsAsync(() => Task.FromResult(OnlineEventsOf(watcher, bob)), online => online == 2);
            await hold.RollbackAsync();

            // Carol's close, after bob's write went through, is announced after his offline event would have been.
            await control.DisposeAsync();
            await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == carol.Id && !p.Online);
            Assert.Equal(new[] { true, true }, watcher.Received<PresenceResponse>("PresenceChanged").Where(p => p.UserId == bob.Id).Select(p => p.Online));
            Assert.True(Assert.Single(await (await alice.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { bob.Id } })).ReadAsync<List<PresenceResponse>>()).Online);
        }
    }

    [Fact]
    public async Task Members_whose_connections_all_close_at_once_each_read_offline_with_the_last_seen_time_announced()
    {
        var watcherUser = await TestUser.RegisterAsync(fixture);
        var members = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => TestUser.RegisterAsync(fixture)));
        await Chat.CreateGroupAsync(watcherUser, members);
        var memberIds = members.Select(m => m.Id).ToArray();
        await using var watcher = await ConnectAsync(watcherUser, 0);
        await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", memberIds);
        var memberHubs = await Task.WhenAll(members.Select((member, i) => ConnectAsync(member, i % 2)));
        foreach (var id in memberIds)
        {
            await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == id && p.Online);
        }

        // Closed together, their last-seen times are stored together: each must still be stored, and be what was announced.
        await Task.WhenAll(memberHubs.Select(hub => hub.DisposeAsync().AsTask()));
        var announced = new Dictionary<Guid, DateTime?>();
        foreach (var id in memberIds)
        {
            announced[id] = (await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == id && !p.Online)).LastSeenAt;
        }

        var read = await (await watcherUser.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = memberIds })).ReadAsync<List<PresenceResponse>>();
        Assert.Equal(members.Length, read.Count);
        Assert.All(read, presence =>
        {
            Assert.False(presence.Online);
            Assert.NotNull(presence.LastSeenAt);
            // PostgreSQL keeps microseconds, the event carries the clock's ticks.
            Assert.Equal(announced[presence.UserId]!.Value, presence.LastSeenAt.Value, TimeSpan.FromMilliseconds(1));
        });
    }

    [Fact]
    public async Task Presence_of_strangers_reads_offline()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        await using var strangerHub = await ConnectAsync(stranger, 1);

        var presence = await (await alice.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { stranger.Id } })).ReadAsync<List<PresenceResponse>>();

        Assert.Equal(new PresenceResponse(stranger.Id, false, null), Assert.Single(presence));
        await ProblemAssert.IsValidationProblemAsync(await alice.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = Enumerable.Range(0, 501).Select(_ => Guid.NewGuid()) }), "userIds");
    }

    [Fact]
    public async Task Logging_out_closes_that_sessions_connection_on_another_node()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var otherDevice = await SignInOnTabletAsync(user);
        await using var hub = await ConnectAsync(user, 1);
        await using var otherDevicesHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), otherDevice.AccessToken);

        await user.Client.PostAsync("/api/v1/auth/logout", null);

        await hub.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        // The same user's other session, on the same node, keeps its connection and is served.
        Assert.Equal(HubConnectionState.Connected, otherDevicesHub.Connection.State);
        Assert.NotEmpty(await otherDevicesHub.Connection.InvokeAsync<IReadOnlyList<PresenceResponse>>("SubscribePresence", new[] { user.Id }));
    }

    [Fact]
    public async Task A_session_revoked_without_an_announcement_has_its_connection_closed_by_the_next_sweep()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var other = await TestUser.RegisterAsync(fixture);
        await using var hub = await ConnectAsync(user, 1);
        await using var othersHub = await ConnectAsync(other, 1);

        // Revoked as SessionStore does first, in PostgreSQL, but with no announcement on Redis: as when Redis was away.
        await using (var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb")))
        {
            await connection.OpenAsync();
            await using var revoke = new NpgsqlCommand("UPDATE sessions SET revoked_at = now() WHERE user_id = $1", connection) { Parameters = { new() { Value = user.Id } } };
            Assert.Equal(1, await revoke.ExecuteNonQueryAsync());
        }

        await hub.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Another user's live session on the same node keeps its connection.
        Assert.Equal(HubConnectionState.Connected, othersHub.Connection.State);
    }

    [Fact]
    public async Task An_added_member_receives_the_next_message_without_reconnecting()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var newcomer = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await using var newcomerHub = await ConnectAsync(newcomer, 1);

        await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { newcomer.Id } });
        var changed = await newcomerHub.WaitForAsync<ConversationResponse>("ConversationChanged", c => c.Id == group.Id);
        await Chat.SendAsync(owner, group.Id, "welcome");

        Assert.Equal(2, changed.MemberCount);
        Assert.Equal("welcome", (await newcomerHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.ConversationId == group.Id)).Body);
    }

    [Fact]
    public async Task A_removed_member_is_told_on_every_device_and_the_members_who_stay_see_the_group_change()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var removed = await TestUser.RegisterAsync(fixture);
        var stayer = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, removed, stayer);
        var tablet = await SignInOnTabletAsync(removed);
        await using var removedPhoneHub = await ConnectAsync(removed, 0);
        await using var removedTabletHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), tablet.AccessToken, messagePack: true);
        await using var stayerHub = await ConnectAsync(stayer, 1);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{removed.Id}")).StatusCode);

        foreach (var hub in new[] { removedPhoneHub, removedTabletHub })
        {
            Assert.Equal(new ConversationRemovedEvent(group.Id), await hub.WaitForAsync<ConversationRemovedEvent>("ConversationRemoved"));
        }

        Assert.Equal(2, (await stayerHub.WaitForAsync<ConversationResponse>("ConversationChanged", c => c.Id == group.Id)).MemberCount);
        // Sent to the stayer's connection before its ConversationChanged, a ConversationRemoved would have arrived first.
        Assert.Empty(stayerHub.Received<ConversationRemovedEvent>("ConversationRemoved"));
    }

    [Fact]
    public async Task A_member_who_leaves_on_one_device_is_told_on_their_other_device()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var leaver = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, leaver);
        var tablet = await SignInOnTabletAsync(leaver);
        await using var tabletHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), tablet.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, (await leaver.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{leaver.Id}")).StatusCode);

        Assert.Equal(new ConversationRemovedEvent(group.Id), await tabletHub.WaitForAsync<ConversationRemovedEvent>("ConversationRemoved"));
    }

    [Fact]
    public async Task A_non_members_send_fails_with_a_hub_exception()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await using var strangerHub = await ConnectAsync(stranger, 0);

        var error = await Assert.ThrowsAsync<HubException>(() => strangerHub.Connection.InvokeAsync<MessageResponse>("SendMessage", group.Id, Guid.NewGuid(), "hi", null));
        var empty = await Assert.ThrowsAsync<HubException>(() => strangerHub.Connection.InvokeAsync<MessageResponse>("SendMessage", group.Id, Guid.NewGuid(), " ", null));

        Assert.Contains("Conversation not found", error.Message);
        Assert.Contains("body", empty.Message);
        Assert.Equal(0, (await Chat.GetAsync(owner, group.Id)).LastSeq);
    }

    [Fact]
    public async Task A_connection_sending_faster_than_its_budget_is_told_it_is_rate_limited_and_nothing_extra_is_stored()
    {
        var (alice, bob, direct) = await PairAsync();
        await using var aliceHub = await ConnectAsync(alice, 0);
        await using var bobHub = await ConnectAsync(bob, 0);

        // A stored send takes a commit, and on a busy machine ten commits take a second: the budget would refill as
        // fast as real sends spend it. So the burst opens with 40 sends refused for their empty body, which cost the
        // server nothing but still spend the budget (a burst of 20, then 10 a second), and ends with 20 real ones.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            var body = i < 40 ? " " : $"burst {i}";
            try
            {
                await aliceHub.Connection.InvokeAsync<MessageResponse>("SendMessage", direct.Id, Guid.NewGuid(), body, null);
                return (Real: i >= 40, Refusal: (string?)null);
            }
            catch (HubException exception)
            {
                return (Real: i >= 40, Refusal: exception.Message);
            }
        }));

        var rateLimited = attempts.Where(a => a.Refusal?.Contains("Rate limited", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(rateLimited);
        Assert.All(attempts.Where(a => !a.Real && !rateLimited.Contains(a)), a => Assert.Contains("body", a.Refusal));
        Assert.All(attempts.Where(a => a.Real), a => Assert.True(a.Refusal is null || rateLimited.Contains(a), a.Refusal));
        // The budget is the connection's: another connection on the same node still sends right away.
        await bobHub.Connection.InvokeAsync<MessageResponse>("SendMessage", direct.Id, Guid.NewGuid(), "not throttled", null);
        // Every real send let through is stored once, and none that was refused.
        var stored = attempts.Count(a => a.Real && a.Refusal is null) + 1;
        Assert.Equal(stored, (await Chat.GetAsync(alice, direct.Id)).LastSeq);
        Assert.Equal(stored, (await Chat.CatchUpAsync(alice, direct.Id, after: 0)).Count);
    }

    [Fact]
    public async Task A_user_cannot_hold_more_than_the_connection_cap()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var open = new List<HubClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                open.Add(await ConnectAsync(user, i % 2));
            }

            var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(user, 0));
            Assert.Contains("Too many connections", refused.Message);

            // Closing one frees a place once the server has processed the disconnect.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    open.Add(await ConnectAsync(user, 1));
                    break;
                }
                catch (Exception) when (attempt < 20)
                {
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            foreach (var client in open)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_invalid_or_signed_out_token_cannot_connect()
    {
        var user = await TestUser.RegisterAsync(fixture);
        await user.Client.PostAsync("/api/v1/auth/logout", null);

        var invalid = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => HubClient.ConnectAsync(fixture.GetEndpoint("realtime"), "not-a-token"));
        var signedOut = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => HubClient.ConnectAsync(fixture.GetEndpoint("realtime"), user.AccessToken));

        Assert.Contains("'401'", invalid.Message);
        Assert.Contains("'401'", signedOut.Message);
    }

    [Fact]
    public async Task A_messagepack_client_sends_and_receives()
    {
        var (alice, bob, direct) = await PairAsync();
        await using var aliceHub = await ConnectAsync(alice, 0, messagePack: true);
        await using var bobHub = await ConnectAsync(bob, 1, messagePack: true);

        var sent = await aliceHub.Connection.InvokeAsync<MessageResponse>("SendMessage", direct.Id, Guid.NewGuid(), "packed", null);

        var received = await bobHub.WaitForAsync<MessageResponse>("MessageReceived");
        Assert.Equal(sent.Id, received.Id);
        Assert.Equal("packed", received.Body);
    }

    [Fact]
    public async Task A_member_who_was_offline_catches_up_on_exactly_what_they_missed_in_order()
    {
        var (alice, bob, direct) = await PairAsync();
        await using (var bobHub = await ConnectAsync(bob, 1))
        {
            await Chat.SendAsync(alice, direct.Id, "seen live");
            await bobHub.WaitForAsync<MessageResponse>("MessageReceived");
        }

        for (var i = 1; i <= 5; i++)
        {
            await Chat.SendAsync(alice, direct.Id, $"missed {i}");
        }

        var missed = await (await bob.Client.GetAsync($"/api/v1/conversations/{direct.Id}/messages?after=1")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal(["missed 1", "missed 2", "missed 3", "missed 4", "missed 5"], missed.Items.Select(m => m.Body));
        Assert.Equal([2L, 3, 4, 5, 6], missed.Items.Select(m => m.Seq));
    }

    /// <summary>The user's second session: another device, with its own tokens.</summary>
    private async Task<AuthResult> SignInOnTabletAsync(TestUser user)
    {
        using var anonymous = fixture.App.CreateHttpClient("api");
        return await (await anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password, deviceName = "tablet" }))
            .ReadAsync<AuthResult>();
    }

    private static int OnlineEventsOf(HubClient watcher, TestUser user) =>
        watcher.Received<PresenceResponse>("PresenceChanged").Count(p => p.UserId == user.Id && p.Online);

    private async Task<(TestUser Alice, TestUser Bob, ConversationResponse Direct)> PairAsync()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        return (alice, bob, await Chat.OpenDirectAsync(alice, bob));
    }
}
