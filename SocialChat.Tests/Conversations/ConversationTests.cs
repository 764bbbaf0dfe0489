using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
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
    public async Task A_blocked_user_cannot_open_or_write_a_direct_conversation_but_groups_are_unaffected()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(blocked, blocker);
        var group = await Chat.CreateGroupAsync(blocker, blocked);

        await blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null);

        await ProblemAssert.IsProblemAsync(await blocked.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = blocker.Id }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Chat.PostMessageAsync(blocked, direct.Id, "hello?"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, (await Chat.PostMessageAsync(blocked, group.Id, "in the group")).StatusCode);
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
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = owner.Id }), "userId");
        await ProblemAssert.IsProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = Guid.NewGuid() }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await owner.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = "not-a-uuid" }), HttpStatusCode.BadRequest);
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
