using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Conversations;

/// <summary>
/// Both sides of a pair, several devices and several admins act on the same conversations at once; whatever the
/// interleaving, each answer is one the contract allows and what the members then see adds up.
/// </summary>
public sealed class ConversationRaceTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_direct_conversation_being_opened_when_the_block_starts_never_appears_after_the_block_answered()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        // A slow open: the test holds the pair's direct key in an uncommitted row, so the open waits at its insert,
        // past whatever checks it made before, until the test lets it go.
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var stall = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var holdKey = new NpgsqlCommand(
            "INSERT INTO conversations (id, kind, direct_key, last_seq, member_count, created_at, updated_at) VALUES ($1, 'Direct', $2, 0, 2, now(), now())", connection, stall)
        {
            Parameters = { new() { Value = Guid.CreateVersion7() }, new() { Value = Data.Conversations.Conversations.DirectKeyOf(blocker.Id, blocked.Id) } },
        })
        {
            await holdKey.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var open = blocked.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = blocker.Id });
        await Eventually.HoldsAsync(() => SomeoneWaitsOnAsync(connection, stall), waits => waits);
        var block = BlockThenListAsync(blocker, blocked);
        await Task.WhenAny(block, Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));
        await stall.RollbackAsync(TestContext.Current.CancellationToken);

        var seenWhenBlocked = await block;
        await ProblemAssert.AnsweredAsync([await open], HttpStatusCode.Created, HttpStatusCode.Forbidden);
        Assert.Equal(seenWhenBlocked, await ConversationIdsAsync(blocker));
    }

    [Fact]
    public async Task Members_added_removed_and_re_added_at_once_leave_memberCount_equal_to_the_member_list()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var users = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner, users[..5]);

        // The first five are removed while being added back; the other five are each added by several taps at once.
        var responses = await Task.WhenAll(users.SelectMany((user, i) => Enumerable.Range(0, 3).Select(tap => i < 5 && tap == 1
            ? owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{user.Id}")
            : owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { user.Id } }))));

        await ProblemAssert.AnsweredAsync(responses, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
        var members = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/members?limit=100")).ReadAsync<Page<MemberResponse>>();
        Assert.Equal(members.Items.Count, members.Items.Select(m => m.User.Id).Distinct().Count());
        Assert.Equal(members.Items.Count, (await Chat.GetAsync(owner, group.Id)).MemberCount);
        Assert.Superset(users[5..].Select(u => u.Id).Append(owner.Id).ToHashSet(), members.Items.Select(m => m.User.Id).ToHashSet());
    }

    [Fact]
    public async Task A_groups_last_member_leaving_while_their_other_taps_wait_answers_them_404_not_500()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var friend = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, []);
        // The test holds the group's row, so each call waits at it, past its membership check, until the test lets go.
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var stall = await LockWaits.HoldRowAsync(connection, "conversations", group.Id);

        var leave = owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{owner.Id}");
        await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(connection, stall), waiting => waiting == 1);
        var leaveAgain = owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{owner.Id}");
        var add = owner.Client.PostJsonAsync($"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { friend.Id } });
        await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(connection, stall), waiting => waiting == 3);
        await stall.RollbackAsync(TestContext.Current.CancellationToken);

        // The first in line leaves, and with its last member the group goes; the others then find no group.
        Assert.Equal(HttpStatusCode.NoContent, (await leave).StatusCode);
        await ProblemAssert.IsProblemAsync(await leaveAgain, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await add, HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await friend.Client.GetAsync($"/api/v1/conversations/{group.Id}")).StatusCode);
    }

    /// <summary>The blocker's conversations as they list them the moment the block has answered.</summary>
    private static async Task<List<Guid>> BlockThenListAsync(TestUser blocker, TestUser blocked)
    {
        Assert.Equal(HttpStatusCode.NoContent, (await blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null)).StatusCode);
        return await ConversationIdsAsync(blocker);
    }

    private static async Task<bool> SomeoneWaitsOnAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var query = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND transactionid = pg_current_xact_id()::xid AND NOT granted)", connection, transaction);
        return (bool)(await query.ExecuteScalarAsync())!;
    }

    private static async Task<List<Guid>> ConversationIdsAsync(TestUser user) =>
        (await (await user.Client.GetAsync("/api/v1/conversations?limit=100")).ReadAsync<Page<ConversationResponse>>()).Items.Select(c => c.Id).Order().ToList();
}
