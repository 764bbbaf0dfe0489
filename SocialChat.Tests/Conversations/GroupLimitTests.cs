using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Conversations;

/// <summary>
/// The member limit is configuration. The running system keeps the contract's 10,000, so the tests of the limit itself
/// call the domain operation on the same database with a limit of 3; those over REST check that a member list as long
/// as the limit allows fits in one request.
/// </summary>
public sealed class GroupLimitTests(SocialChatAppFixture fixture)
{
    private const int MaxGroupMembers = 3;

    /// <summary>1,800 ids as JSON are ~70 KB, past the 64 KiB body every other request may have.</summary>
    private const int PastOrdinaryBody = 1_800;

    [Fact]
    public async Task A_group_cannot_be_created_or_grown_past_the_member_limit()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        await using var db = await TestDatabase.OpenAsync(fixture);
        var conversations = new Data.Conversations.Conversations(db, new NoLiveClients(), Options.Create(new ConversationOptions { MaxGroupMembers = MaxGroupMembers }));

        var tooBig = await conversations.CreateGroupAsync(users[0].Id, new CreateGroupRequest("Too big", [users[1].Id, users[2].Id, users[3].Id]), TestContext.Current.CancellationToken);
        var full = await conversations.CreateGroupAsync(users[0].Id, new CreateGroupRequest("Full", [users[1].Id, users[2].Id]), TestContext.Current.CancellationToken);
        var grown = await conversations.AddMembersAsync(users[0].Id, full.Value!.Id, new AddMembersRequest([users[3].Id]), TestContext.Current.CancellationToken);

        Assert.Contains("memberIds", Assert.IsType<DomainError.Invalid>(tooBig.Error).Errors.Keys);
        Assert.Equal(MaxGroupMembers, full.Value.MemberCount);
        Assert.Contains("userIds", Assert.IsType<DomainError.Invalid>(grown.Error).Errors.Keys);
        Assert.Equal(MaxGroupMembers, (await Chat.GetAsync(users[0], full.Value.Id)).MemberCount);
        await ProblemAssert.IsProblemAsync(await users[3].Client.GetAsync($"/api/v1/conversations/{full.Value.Id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Additions_at_once_cannot_together_pass_the_member_limit()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var candidates = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner);

        // Each addition on its own connection, as from different Api processes.
        var results = await Task.WhenAll(candidates.Select(async candidate =>
        {
            await using var db = await TestDatabase.OpenAsync(fixture);
            var conversations = new Data.Conversations.Conversations(db, new NoLiveClients(), Options.Create(new ConversationOptions { MaxGroupMembers = MaxGroupMembers }));
            return await conversations.AddMembersAsync(owner.Id, group.Id, new AddMembersRequest([candidate.Id]), TestContext.Current.CancellationToken);
        }));

        Assert.Equal(MaxGroupMembers - 1, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Contains("userIds", Assert.IsType<DomainError.Invalid>(r.Error).Errors.Keys));
        var members = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members")).ReadAsync<Page<MemberResponse>>();
        Assert.Equal(MaxGroupMembers, members.Items.Count);
        Assert.Equal(MaxGroupMembers, (await Chat.GetAsync(owner, group.Id)).MemberCount);
    }

    [Fact]
    public async Task A_group_is_created_and_grown_by_more_members_than_an_ordinary_body_could_name()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var users = await TestDatabase.InsertUsersAsync(fixture, 2 * PastOrdinaryBody);
        var firstHalf = users[..PastOrdinaryBody];
        var secondHalf = users[PastOrdinaryBody..];

        var created = await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Everyone", memberIds = firstHalf });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var group = await created.ReadAsync<ConversationResponse>();
        var grown = await owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = secondHalf });

        Assert.Equal(HttpStatusCode.NoContent, grown.StatusCode);
        Assert.Equal(1 + PastOrdinaryBody, group.MemberCount);
        Assert.Equal(1 + (2 * PastOrdinaryBody), (await Chat.GetAsync(owner, group.Id)).MemberCount);
        await using var db = await TestDatabase.OpenAsync(fixture);
        var stored = await db.ConversationMembers.Where(m => m.ConversationId == group.Id).Select(m => m.UserId).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(users.Append(owner.Id).Order(), stored.Order());
    }

    [Fact]
    public async Task A_member_list_past_the_group_limit_is_a_400_past_what_the_limit_needs_a_413_and_unknown_users_are_named_in_short()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        Guid[] UnknownUsers(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7())];

        var unknown = await ProblemAssert.IsProblemAsync(
            await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Strangers", memberIds = UnknownUsers(PastOrdinaryBody) }), HttpStatusCode.BadRequest);
        var pastLimit = await ProblemAssert.IsProblemAsync(
            await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Too many", memberIds = UnknownUsers(10_000) }), HttpStatusCode.BadRequest);
        var tooLarge = await ProblemAssert.IsProblemAsync(
            await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Far too many", memberIds = UnknownUsers(20_000) }), HttpStatusCode.RequestEntityTooLarge);

        var named = unknown.GetProperty("errors").GetProperty("memberIds")[0].GetString()!;
        Assert.EndsWith($" and {PastOrdinaryBody - 10} more.", named, StringComparison.Ordinal);
        Assert.True(named.Length < 500, named);
        Assert.Contains("at most 10000 members", pastLimit.GetProperty("errors").GetProperty("memberIds")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains($"({64 * 1024 + (64 * 10_000)} bytes)", tooLarge.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var mine = await (await owner.Client.GetAsync("/api/v1/conversations")).ReadAsync<Page<ConversationResponse>>();
        Assert.Empty(mine.Items);
    }

    private sealed class NoLiveClients : IConversationEvents
    {
        public Task MessageReceivedAsync(MessageResponse message) => Task.CompletedTask;

        public Task MessageEditedAsync(MessageResponse message) => Task.CompletedTask;

        public Task MessageDeletedAsync(Guid conversationId, long seq, long revision) => Task.CompletedTask;

        public Task ReadReceiptAsync(Guid conversationId, Guid userId, long seq) => Task.CompletedTask;

        public Task MembershipChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> added, IReadOnlyCollection<Guid> removed) => Task.CompletedTask;

        public Task ConversationChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds) => Task.CompletedTask;
    }
}
