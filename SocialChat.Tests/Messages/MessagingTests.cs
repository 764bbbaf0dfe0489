using System.Text;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Messages;

public sealed class MessagingTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Fifty_concurrent_sends_from_several_members_take_seq_1_to_50_without_gaps()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var members = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner, members);
        TestUser[] senders = [owner, .. members];

        var sent = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Chat.SendAsync(senders[i % senders.Length], group.Id, $"message {i}")));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), sent.Select(m => m.Seq).Order());
        Assert.Equal(50, (await Chat.GetAsync(owner, group.Id)).LastSeq);
    }

    [Fact]
    public async Task Sends_refused_at_the_same_moment_as_others_fail_alone_and_take_no_seq()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        var messages = $"/api/v1/conversations/{group.Id}/messages";

        // Into one conversation at once, so that the committer checks them together: 20 good sends, 5 by a non-member,
        // 5 replying to a message that does not exist.
        var good = Enumerable.Range(0, 20).Select(i => Chat.PostMessageAsync(i % 2 == 0 ? owner : member, group.Id, $"good {i}"));
        var strangers = Enumerable.Range(0, 5).Select(i => Chat.PostMessageAsync(stranger, group.Id, $"stranger {i}"));
        var badReplies = Enumerable.Range(0, 5).Select(i => owner.Client.PostJsonAsync(messages, new { clientMessageId = Guid.NewGuid(), body = $"reply {i}", replyToSeq = 1_000 }));
        var responses = await Task.WhenAll(good.Concat(strangers).Concat(badReplies));

        Assert.All(responses[..20], r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        foreach (var refused in responses[20..25])
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.NotFound);
        }

        foreach (var refused in responses[25..])
        {
            await ProblemAssert.IsValidationProblemAsync(refused, "replyToSeq");
        }

        var history = await (await owner.Client.GetAsync($"{messages}?after=0&limit=100")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), history.Items.Select(m => m.Seq));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"good {i}").Order(), history.Items.Select(m => m.Body!).Order());
    }

    [Fact]
    public async Task The_same_client_message_id_sent_ten_times_at_once_stores_one_message()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var other = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(owner, other);
        var clientMessageId = Guid.NewGuid();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Chat.PostMessageAsync(owner, direct.Id, "only once", clientMessageId)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK));
        var messages = await Task.WhenAll(responses.Select(r => r.ReadAsync<MessageResponse>()));
        Assert.Single(messages.Select(m => m.Id).Distinct());
        var retry = await Chat.PostMessageAsync(owner, direct.Id, "a different body", clientMessageId);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(("only once", messages[0].Id), ((await retry.ReadAsync<MessageResponse>()).Body, messages[0].Id));
        var history = await (await owner.Client.GetAsync($"/api/v1/conversations/{direct.Id}/messages")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal(1, Assert.Single(history.Items).Seq);
        Assert.Equal(1, (await Chat.GetAsync(other, direct.Id)).LastSeq);
    }

    [Fact]
    public async Task Two_hundred_sends_at_once_over_REST_and_both_hub_nodes_into_three_groups_are_each_acknowledged_once_and_stored_without_gaps()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var senders = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => TestUser.RegisterAsync(fixture)));
        var groups = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Chat.CreateGroupAsync(owner, senders)));
        // Every sender talks to the Api and to one of the two Realtime nodes: three processes commit into the same groups.
        var hubs = await Task.WhenAll(senders.Select((s, i) => HubClient.ConnectAsync(fixture.GetEndpoint("realtime", i % 2), s.AccessToken)));
        try
        {
            // Ten sends per sender (five per door, under the hub's burst), and each sender's first send is also sent
            // twice more at the same moment with its clientMessageId, once per door.
            var sends = senders.SelectMany((sender, s) => Enumerable.Range(0, 10).Select(i => (Sender: s, Group: groups[(s + i) % 3].Id, ClientMessageId: Guid.NewGuid(), OverHub: i % 2 == 1))).ToList();
            var repeats = sends.Where((_, i) => i % 10 == 0).SelectMany(send => new[] { send with { OverHub = false }, send with { OverHub = true } });
            var acknowledged = await Task.WhenAll(sends.Concat(repeats).Select(async send => (send.ClientMessageId, Message: send.OverHub
                ? await hubs[send.Sender].Connection.InvokeAsync<MessageResponse>("SendMessage", send.Group, send.ClientMessageId, $"from {send.Sender}", null)
                : await (await Chat.PostMessageAsync(senders[send.Sender], send.Group, $"from {send.Sender}", send.ClientMessageId)).ReadAsync<MessageResponse>())));

            // Every send is acknowledged, a repeat with the message of the send it repeats: one message per clientMessageId.
            Assert.All(acknowledged.GroupBy(a => a.ClientMessageId), same => Assert.Single(same.Select(a => (a.Message.Id, a.Message.Seq)).Distinct()));
            var messages = acknowledged.DistinctBy(a => a.ClientMessageId).Select(a => a.Message).ToList();
            Assert.Equal(sends.Count, messages.Count);
            foreach (var group in groups)
            {
                var stored = await Chat.CatchUpAsync(owner, group.Id, after: 0);
                Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(m => m.Seq));
                Assert.Equal(
                    messages.Where(m => m.ConversationId == group.Id).OrderBy(m => m.Seq).Select(m => (m.Id, m.Seq, m.SenderId, m.ClientMessageId, m.Body, m.CreatedAt)),
                    stored.Select(m => (m.Id, m.Seq, m.SenderId, m.ClientMessageId, m.Body, m.CreatedAt)));
                Assert.Equal(stored.Count, (await Chat.GetAsync(owner, group.Id)).LastSeq);
                foreach (var sender in senders)
                {
                    // Sending implies having read up to one's own message.
                    var ownNewest = stored.Where(m => m.SenderId == sender.Id).Max(m => m.Seq);
                    Assert.InRange((await Chat.GetAsync(sender, group.Id)).LastReadSeq, ownNewest, stored.Count);
                }
            }
        }
        finally
        {
            await Task.WhenAll(hubs.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_reply_points_at_an_existing_message_of_the_conversation()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        var first = await Chat.SendAsync(owner, group.Id, "question");
        var messages = $"/api/v1/conversations/{group.Id}/messages";

        var reply = await (await owner.Client.PostJsonAsync(messages, new { clientMessageId = Guid.NewGuid(), body = "answer", replyToSeq = first.Seq })).ReadAsync<MessageResponse>();

        Assert.Equal(first.Seq, reply.ReplyToSeq);
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync(messages, new { clientMessageId = Guid.NewGuid(), body = "x", replyToSeq = 0 }), "replyToSeq");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync(messages, new { clientMessageId = Guid.NewGuid(), body = "x", replyToSeq = 3 }), "replyToSeq");
    }

    [Fact]
    public async Task Paging_through_250_messages_returns_each_once_in_order_both_ways()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        for (var i = 1; i <= 250; i++)
        {
            await Chat.SendAsync(owner, group.Id, $"m{i}");
        }

        var newestFirst = await ReadAllAsync(owner, $"/api/v1/conversations/{group.Id}/messages?limit=40");
        var oldestFirst = await ReadAllAsync(owner, $"/api/v1/conversations/{group.Id}/messages?after=0&limit=100");

        Assert.Equal(Enumerable.Range(1, 250).Reverse().Select(i => (long)i), newestFirst.Select(m => m.Seq));
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), oldestFirst.Select(m => m.Seq));
        var catchUp = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?after=245")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal([246L, 247, 248, 249, 250], catchUp.Items.Select(m => m.Seq));
        Assert.Null(catchUp.NextCursor);
    }

    [Fact]
    public async Task Bodies_are_trimmed_nfc_normalised_and_limited()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);

        var decomposed = await Chat.SendAsync(owner, group.Id, "  Cafe\u0301  ");

        Assert.Equal("Caf\u00e9", decomposed.Body);
        await ProblemAssert.IsValidationProblemAsync(await Chat.PostMessageAsync(owner, group.Id, "   "), "body");
        await ProblemAssert.IsValidationProblemAsync(await Chat.PostMessageAsync(owner, group.Id, new string('x', 4001)), "body");
        Assert.Equal(HttpStatusCode.Created, (await Chat.PostMessageAsync(owner, group.Id, new string('x', 4000))).StatusCode);
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/messages", new { clientMessageId = Guid.Empty, body = "x" }), "clientMessageId");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/messages", new { clientMessageId = Guid.NewGuid(), body = "x", replyToSeq = 99 }), "replyToSeq");
        Assert.Equal(2, (await Chat.GetAsync(owner, group.Id)).LastSeq);
    }

    [Fact]
    public async Task Control_characters_in_a_body_are_refused_and_store_nothing_but_line_breaks_and_tabs_are_text()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        var first = await Chat.SendAsync(owner, group.Id, "line 1\n\tline 2");
        var typedOnWindows = await Chat.SendAsync(owner, group.Id, "line 1\r\nline 2");

        foreach (var body in new[] { "nul\u0000", "bell\u0007", "escape\u001b[31m", "backspace\bx", "delete\u007f" })
        {
            await ProblemAssert.IsValidationProblemAsync(await Chat.PostMessageAsync(owner, group.Id, body), "body");
            await ProblemAssert.IsValidationProblemAsync(await owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/1", new { body }), "body");
        }

        // A serializer would not write a lone surrogate, so this JSON is written by hand.
        using var loneSurrogate = new StringContent($$"""{"clientMessageId":"{{Guid.NewGuid()}}","body":"half \ud83d"}""", Encoding.UTF8, "application/json");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostAsync($"/api/v1/conversations/{group.Id}/messages", loneSurrogate), "body");

        Assert.Equal("line 1\n\tline 2", first.Body);
        Assert.Equal("line 1\nline 2", typedOnWindows.Body);
        var history = await Chat.CatchUpAsync(owner, group.Id, after: 0);
        Assert.Equal(["line 1\n\tline 2", "line 1\nline 2"], history.Select(m => m.Body));
        Assert.Null(history[0].EditedAt);
    }

    [Fact]
    public async Task Edits_are_the_senders_and_deletes_leave_tombstones_in_history()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        var first = await Chat.SendAsync(member, group.Id, "first");
        await Chat.SendAsync(member, group.Id, "second");

        var edited = await (await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/{first.Seq}", new { body = "first, edited" })).ReadAsync<MessageResponse>();
        await ProblemAssert.IsProblemAsync(await owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/{first.Seq}", new { body = "not mine" }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/2")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/2")).StatusCode);
        await ProblemAssert.IsProblemAsync(await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/3"), HttpStatusCode.NotFound);

        Assert.Equal("first, edited", edited.Body);
        Assert.NotNull(edited.EditedAt);
        var history = await (await member.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages")).ReadAsync<Page<MessageResponse>>();
        var tombstone = history.Items.Single(m => m.Seq == 2);
        Assert.Null(tombstone.Body);
        Assert.NotNull(tombstone.DeletedAt);
        Assert.Equal([2L, 1], history.Items.Select(m => m.Seq));
        await ProblemAssert.IsProblemAsync(await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/2", new { body = "revive" }), HttpStatusCode.Conflict);
        await ProblemAssert.IsValidationProblemAsync(await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/1", new { body = " " }), "body");
        Assert.Equal("Caf\u00e9", (await (await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/1", new { body = "Cafe\u0301" })).ReadAsync<MessageResponse>()).Body);
    }

    [Fact]
    public async Task Only_the_sender_or_a_group_owner_or_admin_deletes_a_message()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var admin = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, admin, member);
        await owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/members/{admin.Id}", new { role = "admin" });
        var byOwner = await Chat.SendAsync(owner, group.Id, "owner's");
        var byMember = await Chat.SendAsync(member, group.Id, "member's");
        var direct = await Chat.OpenDirectAsync(owner, member);
        var inDirect = await Chat.SendAsync(member, direct.Id, "direct");

        await ProblemAssert.IsProblemAsync(await member.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/{byOwner.Seq}"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await owner.Client.DeleteAsync($"/api/v1/conversations/{direct.Id}/messages/{inDirect.Seq}"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/{byMember.Seq}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/api/v1/conversations/{direct.Id}/messages/{inDirect.Seq}")).StatusCode);
    }

    [Fact]
    public async Task An_edit_racing_a_delete_never_brings_a_body_back()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        var sent = new List<MessageResponse>();
        for (var i = 0; i < 20; i++)
        {
            sent.Add(await Chat.SendAsync(owner, group.Id, $"draft {i}"));
        }

        var races = sent.SelectMany(m => new[]
        {
            owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/{m.Seq}", new { body = "edited" }),
            owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/{m.Seq}"),
        });
        var responses = await Task.WhenAll(races);

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.NoContent, r.StatusCode.ToString()));
        var history = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal(20, history.Items.Count);
        Assert.All(history.Items, m => Assert.Equal((null, true), (m.Body, m.DeletedAt is not null)));
    }

    [Fact]
    public async Task Unread_counts_follow_sends_and_reads_and_the_marker_only_moves_forward_up_to_the_last_message()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(alice, bob);
        for (var i = 0; i < 3; i++)
        {
            await Chat.SendAsync(alice, direct.Id, $"hi {i}");
        }

        Assert.Equal(0, (await Chat.GetAsync(alice, direct.Id)).UnreadCount);
        Assert.Equal(3, (await Chat.GetAsync(bob, direct.Id)).UnreadCount);

        await bob.Client.PostJsonAsync($"/api/v1/conversations/{direct.Id}/read", new { seq = 2 });
        Assert.Equal(1, (await Chat.GetAsync(bob, direct.Id)).UnreadCount);
        await bob.Client.PostJsonAsync($"/api/v1/conversations/{direct.Id}/read", new { seq = 1 });
        Assert.Equal(2, (await Chat.GetAsync(bob, direct.Id)).LastReadSeq);
        await bob.Client.PostJsonAsync($"/api/v1/conversations/{direct.Id}/read", new { seq = 99 });
        var read = await Chat.GetAsync(bob, direct.Id);
        Assert.Equal(3, read.LastReadSeq);
        Assert.Equal(0, read.UnreadCount);

        var reply = await Chat.SendAsync(bob, direct.Id, "reply");
        var bobsView = await Chat.GetAsync(bob, direct.Id);
        Assert.Equal((0, 4L), (bobsView.UnreadCount, bobsView.LastReadSeq));
        Assert.Equal(1, (await Chat.GetAsync(alice, direct.Id)).UnreadCount);
        await bob.Client.DeleteAsync($"/api/v1/conversations/{direct.Id}/messages/{reply.Seq}");
        Assert.Equal(0, (await Chat.GetAsync(alice, direct.Id)).UnreadCount);
        await ProblemAssert.IsValidationProblemAsync(await bob.Client.PostJsonAsync($"/api/v1/conversations/{direct.Id}/read", new { seq = -1 }), "seq");
    }

    [Fact]
    public async Task Bad_history_parameters_are_400s()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        var messages = $"/api/v1/conversations/{group.Id}/messages";

        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?cursor=eyJub3QiOiJ2YWxpZCJ9x"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?before=5&after=1"), "before");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?before=0"), "before");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?after=-1"), "after");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?limit=0"), "limit");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?limit=101"), "limit");
        await ProblemAssert.IsProblemAsync(await owner.Client.GetAsync($"{messages}?before=abc"), HttpStatusCode.BadRequest);
    }

    private static async Task<List<MessageResponse>> ReadAllAsync(TestUser user, string firstPage)
    {
        var all = new List<MessageResponse>();
        var url = firstPage;
        while (true)
        {
            var page = await (await user.Client.GetAsync(url)).ReadAsync<Page<MessageResponse>>();
            all.AddRange(page.Items);
            if (page.NextCursor is null)
            {
                return all;
            }

            url = $"{firstPage.Split('?')[0]}?cursor={page.NextCursor}&limit=40";
        }
    }
}
