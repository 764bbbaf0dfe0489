using System.Buffers.Text;
using System.Text;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Messages;

/// <summary>
/// The catch-up of edits and deletions: each takes its conversation's next revision, and a client that was away reads
/// the changes after the last revision it holds with <c>?changedAfter=</c>, as it reads new messages with <c>?after=</c>.
/// </summary>
public sealed class MessageChangesTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Edits_and_deletions_made_while_away_come_back_with_changed_after_in_the_order_made_without_gaps()
    {
        var (owner, member) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var group = await Chat.CreateGroupAsync(owner, member);
        var firstId = Guid.NewGuid();
        var first = await (await Chat.PostMessageAsync(member, group.Id, "one", firstId)).ReadAsync<MessageResponse>();
        await Chat.SendAsync(member, group.Id, "two");
        await Chat.SendAsync(member, group.Id, "three");
        var messages = $"/api/v1/conversations/{group.Id}/messages";
        Assert.Equal((0, 0), (first.Revision, (await Chat.GetAsync(owner, group.Id)).LastRevision));

        // The owner is away while these are made. A refused edit and a repeated delete change nothing and take no revision.
        var edited = await (await member.Client.PatchJsonAsync($"{messages}/1", new { body = "one, edited" })).ReadAsync<MessageResponse>();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"{messages}/2")).StatusCode);
        var editedTwice = await (await member.Client.PatchJsonAsync($"{messages}/1", new { body = "one, edited twice" })).ReadAsync<MessageResponse>();
        await ProblemAssert.IsProblemAsync(await member.Client.PatchJsonAsync($"{messages}/2", new { body = "two, revived" }), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"{messages}/2")).StatusCode);
        var third = await (await member.Client.PatchJsonAsync($"{messages}/3", new { body = "three, edited" })).ReadAsync<MessageResponse>();
        Assert.Equal([1L, 3L, 4L], [edited.Revision, editedTwice.Revision, third.Revision]);

        // Back: one page at a time, each message once, as it is now, in the order of its last change.
        var changes = await Chat.CatchUpChangesAsync(owner, group.Id, changedAfter: 0, limit: 1);
        Assert.Equal(
            [(2L, (string?)null, true, 2L), (1L, "one, edited twice", false, 3L), (3L, "three, edited", false, 4L)],
            changes.Select(m => (m.Seq, m.Body, m.DeletedAt is not null, m.Revision)));
        Assert.Equal([3L], (await Chat.CatchUpChangesAsync(owner, group.Id, changedAfter: 3)).Select(m => m.Seq));
        Assert.Empty(await Chat.CatchUpChangesAsync(owner, group.Id, changedAfter: 4));
        Assert.Equal(4, (await Chat.GetAsync(owner, group.Id)).LastRevision);

        // History and a retried send show each message's revision too.
        Assert.Equal([3L, 2L, 4L], (await Chat.CatchUpAsync(owner, group.Id, after: 0)).Select(m => m.Revision));
        var retried = await Chat.PostMessageAsync(member, group.Id, "one", firstId);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var again = await retried.ReadAsync<MessageResponse>();
        Assert.Equal(("one, edited twice", 3L), (again.Body, again.Revision));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Live_edits_and_deletions_carry_their_revision_in_JSON_and_MessagePack(bool messagePack)
    {
        var (owner, member) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var group = await Chat.CreateGroupAsync(owner, member);
        await using var ownerHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime"), owner.AccessToken, messagePack);
        var sent = await Chat.SendAsync(member, group.Id, "soon edited, then deleted");

        await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/{sent.Seq}", new { body = "edited" });
        await member.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/messages/{sent.Seq}");

        var edit = await ownerHub.WaitForAsync<MessageResponse>("MessageEdited", m => m.ConversationId == group.Id);
        var deletion = await ownerHub.WaitForAsync<MessageDeletedEvent>("MessageDeleted", d => d.ConversationId == group.Id);
        Assert.Equal(("edited", 1L), (edit.Body, edit.Revision));
        Assert.Equal(new MessageDeletedEvent(group.Id, sent.Seq, 2), deletion);
    }

    [Fact]
    public async Task A_change_still_to_commit_holds_back_the_changes_after_it_so_a_reader_never_passes_it()
    {
        var (owner, member) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var group = await Chat.CreateGroupAsync(owner, member);
        var first = await Chat.SendAsync(member, group.Id, "one");
        await Chat.SendAsync(member, group.Id, "two");
        var messages = $"/api/v1/conversations/{group.Id}/messages";
        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // The edit of message 1 has taken revision 1 and waits on the message's row to write; the deletion of message 2
        // comes then, and a reader reads the changes while both are in flight.
        List<MessageResponse> readMeanwhile;
        Task<HttpResponseMessage> edit, deletion;
        await using (var hold = await LockWaits.HoldRowAsync(database, "messages", first.Id))
        {
            edit = member.Client.PatchJsonAsync($"{messages}/1", new { body = "one, edited" });
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 1);
            deletion = member.Client.DeleteAsync($"{messages}/2");
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 2);
            readMeanwhile = await Chat.CatchUpChangesAsync(owner, group.Id, changedAfter: 0);
            await hold.RollbackAsync();
        }

        // Had the deletion committed revision 2 first, the reader would have gone on from 2 and never seen revision 1.
        Assert.Empty(readMeanwhile);
        Assert.Equal(HttpStatusCode.OK, (await edit).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await deletion).StatusCode);
        Assert.Equal([(1L, 1L), (2L, 2L)], (await Chat.CatchUpChangesAsync(owner, group.Id, changedAfter: 0)).Select(m => (m.Seq, m.Revision)));
    }

    [Fact]
    public async Task An_edit_and_a_deletion_that_meet_their_conversation_going_answer_404()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner);
        var sent = await Chat.SendAsync(owner, group.Id, "about to go with the group");
        var message = $"/api/v1/conversations/{group.Id}/messages/{sent.Seq}";
        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // Both have found the message and wait to take their revision when the group goes, as it does when its last
        // member leaves from another device.
        Task<HttpResponseMessage> edit, deletion;
        await using (var hold = await LockWaits.HoldRowAsync(database, "conversations", group.Id))
        {
            edit = owner.Client.PatchJsonAsync(message, new { body = "edited" });
            deletion = owner.Client.DeleteAsync(message);
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 2);
            await using var leave = new NpgsqlCommand("DELETE FROM conversations WHERE id = $1", database, hold) { Parameters = { new() { Value = group.Id } } };
            await leave.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            await hold.CommitAsync(TestContext.Current.CancellationToken);
        }

        await ProblemAssert.IsProblemAsync(await edit, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await deletion, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Changes_are_read_from_one_revision_at_least_zero_and_only_by_members()
    {
        var (owner, member, stranger) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var group = await Chat.CreateGroupAsync(owner, member);
        for (var i = 0; i < 2; i++)
        {
            var sent = await Chat.SendAsync(member, group.Id, $"message {i}");
            await member.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/messages/{sent.Seq}", new { body = $"message {i}, edited" });
        }

        var messages = $"/api/v1/conversations/{group.Id}/messages";
        var firstPage = await (await owner.Client.GetAsync($"{messages}?changedAfter=0&limit=1")).ReadAsync<Page<MessageResponse>>();

        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?before=5&changedAfter=0"), "before");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?after=0&changedAfter=0"), "after");
        await ProblemAssert.IsValidationProblemAsync(await owner.Client.GetAsync($"{messages}?changedAfter=-1"), "changedAfter");
        await ProblemAssert.IsValidationProblemAsync(
            await owner.Client.GetAsync($"{messages}?changedAfter=0&cursor={Uri.EscapeDataString(firstPage.NextCursor!)}"), "cursor");
        await ProblemAssert.IsProblemAsync(await owner.Client.GetAsync($"{messages}?changedAfter=soon"), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await stranger.Client.GetAsync($"{messages}?changedAfter=0"), HttpStatusCode.NotFound);
        var secondPage = await (await owner.Client.GetAsync($"{messages}?cursor={Uri.EscapeDataString(firstPage.NextCursor!)}&limit=1")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal([(1L, "message 0, edited"), (2L, "message 1, edited")], firstPage.Items.Concat(secondPage.Items).Select(m => (m.Revision, m.Body!)));
        Assert.Null(secondPage.NextCursor);

        // During a deploy, processes of both releases continue each other's before/after cursors: the previous release
        // wrote its nulls and refuses a field it does not know.
        var forward = await (await owner.Client.GetAsync($"{messages}?after=0&limit=1")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal("""{"After":1}""", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(forward.NextCursor)));
        var previousRelease = Base64Url.EncodeToString("""{"Before":null,"After":1}"""u8);
        var continued = await (await owner.Client.GetAsync($"{messages}?cursor={previousRelease}&limit=1")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal([2L], continued.Items.Select(m => m.Seq));
    }
}
