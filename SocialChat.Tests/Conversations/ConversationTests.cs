using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Conversations;

public sealed class ConversationTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Both_users_opening_their_direct_conversation_at_once_get_one_conversation()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);

        var responses = await Task.WhenAll(
            Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? alice : bob).Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = (i % 2 == 0 ? bob : alice).Id })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var conversations = await Task.WhenAll(responses.Select(r => r.ReadAsync<ConversationResponse>()));
        Assert.Single(conversations.Select(c => c.Id).Distinct());
        Assert.Equal(ConversationKind.Direct, conversations[0].Kind);
        Assert.Equal(2, conversations[0].MemberCount);
    }

    [Fact]
    public async Task A_blocked_user_cannot_open_write_or_edit_a_direct_conversation_but_groups_are_unaffected()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(blocked, blocker);
        var group = await Chat.CreateGroupAsync(blocker, blocked);
        var sentBefore = Guid.NewGuid();
        var stored = await (await Chat.PostMessageAsync(blocked, direct.Id, "before the block", sentBefore)).ReadAsync<MessageResponse>();

        await blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null);

        await ProblemAssert.IsProblemAsync(await blocked.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = blocker.Id }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Chat.PostMessageAsync(blocked, direct.Id, "hello?"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Chat.PostMessageAsync(blocker, direct.Id, "nor the other way"), HttpStatusCode.Forbidden);
        // A retry of a send stored before the block is answered that message, as every retry is.
        var retried = await Chat.PostMessageAsync(blocked, direct.Id, "before the block", sentBefore);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(stored.Id, (await retried.ReadAsync<MessageResponse>()).Id);
        Assert.Equal(HttpStatusCode.Created, (await Chat.PostMessageAsync(blocked, group.Id, "in the group")).StatusCode);

        // An edit would reach the blocker as a send does; taking a message back stays open.
        var edit = await blocked.Client.PatchJsonAsync($"/api/v1/conversations/{direct.Id}/messages/{stored.Seq}", new { body = "edited past the block" });
        await ProblemAssert.IsProblemAsync(edit, HttpStatusCode.Forbidden);
        Assert.Equal("before the block", Assert.Single(await Chat.CatchUpAsync(blocker, direct.Id, after: 0)).Body);
        Assert.Equal(HttpStatusCode.NoContent, (await blocked.Client.DeleteAsync($"/api/v1/conversations/{direct.Id}/messages/{stored.Seq}")).StatusCode);
    }

    [Fact]
    public async Task A_non_member_gets_404_on_every_conversation_and_message_route()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await Chat.SendAsync(owner, group.Id, "private");
        var root = $"/api/v1/conversations/{group.Id}";

        HttpResponseMessage[] responses =
        [
            await stranger.Client.GetAsync(root),
            await stranger.Client.PatchJsonAsync(root, new { title = "mine now" }),
            await stranger.Client.PostJsonAsync($"{root}/members", new { userIds = new[] { stranger.Id } }),
            await stranger.Client.DeleteAsync($"{root}/members/{owner.Id}"),
            await stranger.Client.PatchJsonAsync($"{root}/members/{owner.Id}", new { role = "member" }),
            await stranger.Client.GetAsync($"{root}/members"),
            await stranger.Client.GetAsync($"{root}/messages"),
            await Chat.PostMessageAsync(stranger, group.Id, "let me in"),
            await stranger.Client.PatchJsonAsync($"{root}/messages/1", new { body = "x" }),
            await stranger.Client.DeleteAsync($"{root}/messages/1"),
            await stranger.Client.PostJsonAsync($"{root}/read", new { seq = 1 }),
        ];

        foreach (var response in responses)
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        }

        Assert.Equal("private", (await (await owner.Client.GetAsync($"{root}/messages")).ReadAsync<Page<SocialChat.Data.Messages.MessageResponse>>()).Items.Single().Body);
    }

    [Fact]
    public async Task Group_roles_decide_who_renames_adds_removes_and_promotes()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var newcomer = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        var root = $"/api/v1/conversations/{group.Id}";

        await ProblemAssert.IsProblemAsync(await member.Client.PatchJsonAsync(root, new { title = "Renamed" }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await member.Client.PostJsonAsync($"{root}/members", new { userIds = new[] { newcomer.Id } }), HttpStatusCode.Forbidden);

        // A role is its name: 1 is not a role (as an enum's position it would have been admin).
        await ProblemAssert.IsProblemAsync(await owner.Client.PatchJsonAsync($"{root}/members/{member.Id}", new { role = 1 }), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await member.Client.PatchJsonAsync(root, new { title = "Renamed" }), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PatchJsonAsync($"{root}/members/{member.Id}", new { role = "admin" })).StatusCode);
        Assert.Equal("Renamed", (await (await member.Client.PatchJsonAsync(root, new { title = "  Renamed " })).ReadAsync<ConversationResponse>()).Title);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.PostJsonAsync($"{root}/members", new { userIds = new[] { newcomer.Id } })).StatusCode);
        Assert.Equal(3, (await Chat.GetAsync(newcomer, group.Id)).MemberCount);
        await ProblemAssert.IsProblemAsync(await member.Client.DeleteAsync($"{root}/members/{owner.Id}"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await member.Client.PatchJsonAsync($"{root}/members/{newcomer.Id}", new { role = "admin" }), HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.NoContent, (await newcomer.Client.DeleteAsync($"{root}/members/{newcomer.Id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await newcomer.Client.GetAsync(root), HttpStatusCode.NotFound);

        // The owner leaving hands the group to the admin.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"{root}/members/{owner.Id}")).StatusCode);
        var members = await (await member.Client.GetAsync($"{root}/members")).ReadAsync<Page<MemberResponse>>();
        Assert.Equal(MemberRole.Owner, Assert.Single(members.Items).Role);
    }

    [Fact]
    public async Task Group_input_is_checked()
    {
        var owner = await TestUser.RegisterAsync(fixture);

        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = " ", memberIds = Array.Empty<Guid>() }), "title");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = new string('t', 101) }), "title");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "ok", memberIds = new[] { Guid.NewGuid() } }), "memberIds");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "ok" }), "memberIds");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = owner.Id }), "userId");
        await ProblemAssert.IsProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = Guid.NewGuid() }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = "not-a-uuid" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_without_its_required_field_is_a_400_naming_it()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await Chat.SendAsync(owner, group.Id, "one");

        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { }), "userId");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/read", new { }), "seq");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/notifications/read", new { }), "upTo");
    }

    [Fact]
    public async Task A_group_title_with_control_characters_is_refused_and_stores_nothing()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);

        foreach (var title in new[] { "nul\u0000", "two\nlines", "tab\there", "delete\u007f" })
        {
            await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title, memberIds = Array.Empty<Guid>() }), "title");
            await ProblemAssert.IsValidationProblemAsync(await owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}", new { title }), "title");
        }

        var mine = await (await owner.Client.GetAsync("/api/v1/conversations")).ReadAsync<Page<ConversationResponse>>();
        Assert.Equal("Test group", Assert.Single(mine.Items).Title);
    }

    [Fact]
    public async Task A_group_counts_each_member_once_and_the_creator_as_owner()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);

        var group = await (await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "  Weekend  ", memberIds = new[] { member.Id, member.Id, owner.Id } }))
            .ReadAsync<ConversationResponse>();

        Assert.Equal("Weekend", group.Title);
        Assert.Equal(2, group.MemberCount);
        var members = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members")).ReadAsync<Page<MemberResponse>>();
        Assert.Equal(MemberRole.Owner, members.Items.Single(m => m.User.Id == owner.Id).Role);
        Assert.Equal(MemberRole.Member, members.Items.Single(m => m.User.Id == member.Id).Role);
    }

    [Fact]
    public async Task A_direct_conversation_is_titled_with_the_other_user_and_refuses_group_changes()
    {
        var alice = await TestUser.RegisterAsync(fixture, displayName: "Alice Liddell");
        var bob = await TestUser.RegisterAsync(fixture, displayName: "Bob Dylan");
        var carol = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(alice, bob);
        var root = $"/api/v1/conversations/{direct.Id}";

        Assert.Equal("Bob Dylan", direct.Title);
        Assert.Equal("Alice Liddell", (await Chat.GetAsync(bob, direct.Id)).Title);

        await ProblemAssert.IsValidationProblemAsync(await alice.Client.PatchJsonAsync(root, new { title = "Us" }), "id");
        await ProblemAssert.IsValidationProblemAsync(await alice.Client.PostJsonAsync($"{root}/members", new { userIds = new[] { carol.Id } }), "id");
        await ProblemAssert.IsValidationProblemAsync(await alice.Client.PatchJsonAsync($"{root}/members/{bob.Id}", new { role = "admin" }), "id");
        await ProblemAssert.IsValidationProblemAsync(await alice.Client.DeleteAsync($"{root}/members/{alice.Id}"), "id");
        Assert.Equal(2, (await Chat.GetAsync(bob, direct.Id)).MemberCount);
    }

    [Fact]
    public async Task Members_page_in_joining_order()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var members = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner);
        foreach (var member in members)
        {
            await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { member.Id } });
        }

        var seen = new List<MemberResponse>();
        string? cursor = null;
        do
        {
            var page = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?limit=2&cursor={cursor}")).ReadAsync<Page<MemberResponse>>();
            Assert.InRange(page.Items.Count, 1, 2);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal([owner.Id, .. members.Select(m => m.Id)], seen.Select(m => m.User.Id));
    }

    [Fact]
    public async Task Removing_one_member_several_times_at_once_takes_one_member_off()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var members = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner, members);

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{members[0].Id}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, r.StatusCode.ToString()));
        Assert.Equal(3, (await Chat.GetAsync(owner, group.Id)).MemberCount);
    }

    [Fact]
    public async Task A_group_its_last_member_leaves_is_deleted_with_its_messages()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        await Chat.SendAsync(member, group.Id, "see you");
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{member.Id}")).StatusCode);
        Assert.Equal(2, await RowsOfAsync(group.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{owner.Id}")).StatusCode);

        Assert.Equal(0, await RowsOfAsync(group.Id));
        await ProblemAssert.IsProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}"), HttpStatusCode.NotFound);
    }

    /// <summary>The group's row and its messages' rows, as PostgreSQL holds them.</summary>
    private async Task<long> RowsOfAsync(Guid conversationId)
    {
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM conversations WHERE id = $1) + (SELECT count(*) FROM messages WHERE conversation_id = $1)", connection)
        {
            Parameters = { new() { Value = conversationId } },
        };
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_new_member_sees_the_history_but_nothing_of_it_as_unread()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var newcomer = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await Chat.SendAsync(owner, group.Id, "before you came");

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { newcomer.Id } })).StatusCode);

        var seen = await Chat.GetAsync(newcomer, group.Id);
        Assert.Equal((1L, 1L, 0), (seen.LastSeq, seen.LastReadSeq, seen.UnreadCount));
        Assert.Equal("before you came", seen.LastMessage?.Body);
        await Chat.SendAsync(owner, group.Id, "welcome");
        Assert.Equal(1, (await Chat.GetAsync(newcomer, group.Id)).UnreadCount);
    }

    [Fact]
    public async Task Tampered_or_foreign_cursors_are_400s()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        await Chat.SendAsync(owner, group.Id, "one");
        await Chat.SendAsync(owner, group.Id, "two");
        var historyCursor = (await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?limit=1")).ReadAsync<Page<SocialChat.Data.Messages.MessageResponse>>()).NextCursor;
        Assert.NotNull(historyCursor);

        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync("/api/v1/conversations?cursor=not-a-cursor!"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations?cursor={historyCursor}"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?cursor={historyCursor}"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?cursor=e30"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync("/api/v1/conversations?limit=101"), "limit");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?cursor=e30"), "cursor");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?after=0&cursor={historyCursor}"), "cursor");
        Assert.Equal("one", (await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?cursor={historyCursor}")).ReadAsync<Page<SocialChat.Data.Messages.MessageResponse>>()).Items.Single().Body);
    }

    [Fact]
    public async Task A_cursor_whose_time_was_moved_out_of_UTC_is_a_400_not_a_500()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        await Chat.CreateGroupAsync(owner);
        var listCursor = (await (await owner.Client.GetAsync("/api/v1/conversations?limit=1")).ReadAsync<Page<ConversationResponse>>()).NextCursor;
        var membersCursor = (await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?limit=1")).ReadAsync<JsonElement>()).GetProperty("nextCursor").GetString();

        foreach (var zone in new[] { "", "+02:00" })
        {
            await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations?cursor={OutOfUtc(listCursor!, zone)}"), "cursor");
            await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?cursor={OutOfUtc(membersCursor!, zone)}"), "cursor");
        }

        // The cursor as it was still pages.
        Assert.Single((await (await owner.Client.GetAsync($"/api/v1/conversations?limit=1&cursor={listCursor}")).ReadAsync<Page<ConversationResponse>>()).Items);
    }

    // The same position with its UTC time's "Z" replaced: no zone at all, or an offset.
    private static string OutOfUtc(string cursor, string zone)
    {
        var json = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        var moved = Regex.Replace(json, "(\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?)Z\"", $"$1{zone}\"");
        Assert.NotEqual(json, moved);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(moved));
    }

    [Fact]
    public async Task My_conversations_list_most_recent_activity_first_with_last_message_and_pages()
    {
        var me = await TestUser.RegisterAsync(fixture);
        var others = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        var conversations = new List<ConversationResponse>();
        foreach (var other in others)
        {
            conversations.Add(await Chat.OpenDirectAsync(me, other));
        }

        await Chat.SendAsync(others[0], conversations[0].Id, "bump the oldest");

        var first = await (await me.Client.GetAsync("/api/v1/conversations?limit=2")).ReadAsync<Page<ConversationResponse>>();
        var second = await (await me.Client.GetAsync($"/api/v1/conversations?limit=2&cursor={first.NextCursor}")).ReadAsync<Page<ConversationResponse>>();

        Assert.Equal([conversations[0].Id, conversations[2].Id, conversations[1].Id], first.Items.Concat(second.Items).Select(c => c.Id));
        Assert.Equal("bump the oldest", first.Items[0].LastMessage?.Body);
        Assert.Equal(1, first.Items[0].UnreadCount);
        Assert.Null(first.Items[1].LastMessage);
        Assert.Null(second.NextCursor);
    }
}
