using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Conversations;

/// <summary>
/// The member limit is configuration: the running system keeps the contract's 10,000, which no request under the
/// body size limit can reach, so these tests call the domain operation on the same database with a limit of 3.
/// </summary>
public sealed class GroupLimitTests(SocialChatAppFixture fixture)
{
    private const int MaxGroupMembers = 3;

    [Fact]
    public async Task A_group_cannot_be_created_or_grown_past_the_member_limit()
    {
        var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        await using var db = await OpenDatabaseAsync();
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
            await using var db = await OpenDatabaseAsync();
            var conversations = new Data.Conversations.Conversations(db, new NoLiveClients(), Options.Create(new ConversationOptions { MaxGroupMembers = MaxGroupMembers }));
            return await conversations.AddMembersAsync(owner.Id, group.Id, new AddMembersRequest([candidate.Id]), TestContext.Current.CancellationToken);
        }));

        Assert.Equal(MaxGroupMembers - 1, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Contains("userIds", Assert.IsType<DomainError.Invalid>(r.Error).Errors.Keys));
        var members = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members")).ReadAsync<Page<MemberResponse>>();
        Assert.Equal(MaxGroupMembers, members.Items.Count);
        Assert.Equal(MaxGroupMembers, (await Chat.GetAsync(owner, group.Id)).MemberCount);
    }

    private async Task<SocialDbContext> OpenDatabaseAsync()
    {
        var options = new DbContextOptionsBuilder<SocialDbContext>().UseNpgsql(await fixture.GetConnectionStringAsync("socialdb"));
        SocialDbContextOptions.Configure(options);
        return new SocialDbContext(options.Options);
    }

    private sealed class NoLiveClients : IConversationEvents
    {
        public Task MessageReceivedAsync(MessageResponse message) => Task.CompletedTask;

        public Task MessageEditedAsync(MessageResponse message) => Task.CompletedTask;

        public Task MessageDeletedAsync(Guid conversationId, long seq) => Task.CompletedTask;

        public Task ReadReceiptAsync(Guid conversationId, Guid userId, long seq) => Task.CompletedTask;

        public Task MembershipChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> added, IReadOnlyCollection<Guid> removed) => Task.CompletedTask;

        public Task ConversationChangedAsync(Guid conversationId, IReadOnlyCollection<Guid> userIds) => Task.CompletedTask;
    }
}
