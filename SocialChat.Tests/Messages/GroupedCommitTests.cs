using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Messages;

/// <summary>
/// The rules of a grouped commit, on sends that share one call of send_messages: which sends of a commit share one is
/// up to timing over REST and the hub, so here the batch is made by hand, with every rule meeting an earlier send of
/// the same call.
/// </summary>
public sealed class GroupedCommitTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task One_commit_numbers_its_sends_in_order_and_checks_each_against_the_sends_before_it()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        var blocker = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        var direct = await Chat.OpenDirectAsync(alice, blocker);
        await blocker.Client.PostAsync($"/api/v1/users/{alice.Id}/block", null);
        Guid first = Guid.NewGuid(), early = Guid.NewGuid(), answer = Guid.NewGuid(), outsider = Guid.NewGuid(), blocked = Guid.NewGuid();
        Send[] sends =
        [
            new(group.Id, alice, first, "one", null),
            new(group.Id, bob, early, "a reply to what is not sent yet", 2),
            new(group.Id, alice, first, "one", null),
            new(group.Id, bob, answer, "a reply to the first", 1),
            new(group.Id, stranger, outsider, "not a member", null),
            new(group.Id, bob, early, "a reply to the answer", 2),
            new(direct.Id, alice, blocked, "past a block", null),
        ];
        var ids = sends.Select(_ => Guid.NewGuid()).ToArray();

        var answered = await SendMessagesAsync(ids, sends);

        // A retry in the same commit is answered the first send's message; a send refused earlier in it is no retry.
        Assert.Equal(
            [
                ("created", ids[0], 1L),
                ("reply_out_of_range", null, null),
                ("earlier", ids[0], 1L),
                ("created", ids[3], 2L),
                ("not_found", null, null),
                ("created", ids[5], 3L),
                ("blocked", null, null),
            ],
            answered.Select(a => (a.Outcome, a.Id, a.Seq)).ToArray());
        var history = await Chat.CatchUpAsync(bob, group.Id, after: 0);
        Assert.Equal(
            [(1L, "one", (long?)null), (2L, "a reply to the first", 1L), (3L, "a reply to the answer", 2L)],
            history.OrderBy(m => m.Seq).Select(m => (m.Seq, m.Body, m.ReplyToSeq)).ToArray());
        Assert.Equal(3, (await Chat.GetAsync(alice, group.Id)).LastSeq);
        // Sending moves the sender's own read marker: bob has read up to his last, alice up to hers.
        Assert.Equal(0, (await Chat.GetAsync(bob, group.Id)).UnreadCount);
        Assert.Equal(2, (await Chat.GetAsync(alice, group.Id)).UnreadCount);
        Assert.Equal(0, (await Chat.GetAsync(alice, direct.Id)).LastSeq);
    }

    /// <summary>
    /// A commit's sends usually span many conversations (a committer takes whatever is waiting for its share of them):
    /// each conversation is numbered on its own, and a retry of a send an earlier commit stored is answered that message.
    /// </summary>
    [Fact]
    public async Task One_commit_over_several_conversations_numbers_each_on_its_own_and_answers_retries_of_earlier_commits()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var stranger = await TestUser.RegisterAsync(fixture);
        var blocker = await TestUser.RegisterAsync(fixture);
        var first = await Chat.CreateGroupAsync(alice, bob);
        var second = await Chat.CreateGroupAsync(alice, bob);
        var direct = await Chat.OpenDirectAsync(alice, blocker);
        await blocker.Client.PostAsync($"/api/v1/users/{alice.Id}/block", null);
        var sentBefore = Guid.NewGuid();
        var before = await (await Chat.PostMessageAsync(alice, first.Id, "before", sentBefore)).ReadAsync<MessageResponse>();
        var retried = Guid.NewGuid();
        Send[] sends =
        [
            new(second.Id, bob, retried, "second's one", null),
            new(first.Id, alice, sentBefore, "before", null),
            new(first.Id, bob, Guid.NewGuid(), "a reply to before", 1),
            new(second.Id, bob, retried, "second's one", null),
            new(first.Id, stranger, Guid.NewGuid(), "not a member", null),
            new(direct.Id, alice, Guid.NewGuid(), "past a block", null),
            new(second.Id, alice, Guid.NewGuid(), "second's two", null),
            new(first.Id, alice, Guid.NewGuid(), "first's three", null),
            new(Guid.NewGuid(), alice, Guid.NewGuid(), "to no conversation", null),
        ];
        var ids = sends.Select(_ => Guid.NewGuid()).ToArray();

        var answered = await SendMessagesAsync(ids, sends);

        Assert.Equal(
            [
                ("created", ids[0], 1L, "second's one", null),
                ("earlier", before.Id, 1L, "before", null),
                ("created", ids[2], 2L, "a reply to before", 1L),
                ("earlier", ids[0], 1L, "second's one", null),
                ("not_found", null, null, null, null),
                ("blocked", null, null, null, null),
                ("created", ids[6], 2L, "second's two", null),
                ("created", ids[7], 3L, "first's three", (long?)null),
            ],
            answered.Take(8).ToArray());
        Assert.Equal("not_found", answered[8].Outcome);
        Assert.Equal(
            [(1L, "before", (long?)null), (2L, "a reply to before", 1L), (3L, "first's three", null)],
            (await Chat.CatchUpAsync(bob, first.Id, after: 0)).Select(m => (m.Seq, m.Body, m.ReplyToSeq)).ToArray());
        Assert.Equal(["second's one", "second's two"], (await Chat.CatchUpAsync(alice, second.Id, after: 0)).Select(m => m.Body));
        Assert.Equal((3, 2), ((await Chat.GetAsync(alice, first.Id)).LastSeq, (await Chat.GetAsync(alice, second.Id)).LastSeq));
        // Each sender has read up to their own last message in each conversation, and no further.
        Assert.Equal((1, 0), ((await Chat.GetAsync(bob, first.Id)).UnreadCount, (await Chat.GetAsync(alice, first.Id)).UnreadCount));
        Assert.Equal((1, 0), ((await Chat.GetAsync(bob, second.Id)).UnreadCount, (await Chat.GetAsync(alice, second.Id)).UnreadCount));
        Assert.Equal(0, (await Chat.GetAsync(alice, direct.Id)).LastSeq);
    }

    /// <summary>
    /// Sends that come one at a time while commits run (here every 10 ms, after a first send's commit) are held for
    /// company: with a linger they share one commit, without one each has its own. The sends of one commit share its
    /// createdAt, so the distinct createdAts count the commits. The linger is long here (longer than the configuration
    /// allows) so that a busy machine, whose first commit takes long, still sees sends come more often than it lasts.
    /// </summary>
    [Theory]
    [InlineData(1000, true)]
    [InlineData(0, false)]
    public async Task Sends_that_trickle_in_share_a_commit_when_the_committer_lingers(int lingerMs, bool shareOne)
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        await using var dataSource = NpgsqlDataSource.Create((await fixture.GetConnectionStringAsync("socialdb"))!);
        await using var committer = new MessageCommitter(
            dataSource, Options.Create(new MessageCommitOptions { CommitLinger = TimeSpan.FromMilliseconds(lingerMs) }), NullLogger<MessageCommitter>.Instance);
        NewMessage Send(string body) => new(group.Id, alice.Id, Guid.NewGuid(), body, null);

        Assert.True((await committer.StoreAsync(Send("first"), TestContext.Current.CancellationToken)).IsSuccess);
        var trickle = new List<Task<Result<SentMessage>>>();
        foreach (var body in new[] { "second", "third", "fourth" })
        {
            trickle.Add(committer.StoreAsync(Send(body), TestContext.Current.CancellationToken));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        var stored = (await Task.WhenAll(trickle)).Select(result => result.Value!.Message).ToArray();
        Assert.Equal([2L, 3L, 4L], stored.Select(m => m.Seq));
        Assert.Equal(shareOne, stored.Select(m => m.CreatedAt).Distinct().Count() == 1);
        Assert.Equal(["first", "second", "third", "fourth"], (await Chat.CatchUpAsync(bob, group.Id, after: 0)).OrderBy(m => m.Seq).Select(m => m.Body));
    }

    /// <summary>
    /// A linger is waited only while sends come more often than it lasts: a send right after slow ones (here the last
    /// two 1.5 s apart, with a 1 s linger) is committed at once, not held for company that would not come in time. A
    /// send's createdAt is when its commit took its locks, so it shows how long the send was held.
    /// </summary>
    [Fact]
    public async Task A_send_right_after_slow_ones_is_not_held_for_company()
    {
        var linger = TimeSpan.FromSeconds(1);
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        await using var dataSource = NpgsqlDataSource.Create((await fixture.GetConnectionStringAsync("socialdb"))!);
        await using var committer = new MessageCommitter(
            dataSource, Options.Create(new MessageCommitOptions { CommitLinger = linger }), NullLogger<MessageCommitter>.Instance);
        NewMessage Send(string body) => new(group.Id, alice.Id, Guid.NewGuid(), body, null);

        Assert.True((await committer.StoreAsync(Send("slow"), TestContext.Current.CancellationToken)).IsSuccess);
        await Task.Delay(linger * 1.5, TestContext.Current.CancellationToken);
        Assert.True((await committer.StoreAsync(Send("slow again"), TestContext.Current.CancellationToken)).IsSuccess);
        var issued = DateTime.UtcNow;
        var quick = await committer.StoreAsync(Send("quick"), TestContext.Current.CancellationToken);

        Assert.Equal(3, quick.Value!.Message.Seq);
        Assert.True(quick.Value.Message.CreatedAt - issued < linger / 2, $"held {quick.Value.Message.CreatedAt - issued}");
    }

    /// <summary>
    /// A send that waits for another process's commit to a conversation is numbered after it and stamped after it:
    /// createdAt follows seq whichever process sent. Here the test is that other process, holding the conversation's
    /// lock while a send over REST waits for it and storing a message of its own under the lock.
    /// </summary>
    [Fact]
    public async Task A_send_that_waited_for_another_commit_is_stamped_after_it()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        var connectionString = await fixture.GetConnectionStringAsync("socialdb");
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using var transaction = await LockWaits.HoldRowAsync(other, "conversations", group.Id);

        var waited = Chat.PostMessageAsync(alice, group.Id, "waited");
        await using (var watcher = new NpgsqlConnection(connectionString))
        {
            await watcher.OpenAsync();
            await using var waiters = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", watcher) { Parameters = { new() { Value = other.ProcessID } } };
            Assert.Equal(1L, await Eventually.HoldsAsync(async () => (long)(await waiters.ExecuteScalarAsync())!, count => count == 1));
        }

        // A time taken before the wait would be this much before the other commit's: more than history's milliseconds.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        await SendMessagesAsync(other, [Guid.NewGuid()], [new(group.Id, bob, Guid.NewGuid(), "sent under the lock", null)]);
        await transaction.CommitAsync();
        var response = await waited;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sent = await response.ReadAsync<MessageResponse>();
        var history = await Chat.CatchUpAsync(bob, group.Id, after: 0);
        Assert.Equal([(1L, "sent under the lock"), (2L, "waited")], history.Select(m => (m.Seq, m.Body!)).ToArray());
        Assert.True(history[0].CreatedAt <= history[1].CreatedAt, $"seq 2 at {history[1].CreatedAt:O}, before seq 1 at {history[0].CreatedAt:O}");
        Assert.Equal(history[1].CreatedAt, sent.CreatedAt);
        // The order of GET /conversations: the time of the latest message, not moved back by the send that came second.
        Assert.Equal(history.Max(m => m.CreatedAt), (await Chat.GetAsync(alice, group.Id)).UpdatedAt);
    }

    /// <summary>
    /// During a deploy, processes of the previous release still call send_messages with the time they took themselves:
    /// their sends are stored, stamped under the locks like everyone else's.
    /// </summary>
    [Fact]
    public async Task A_send_from_a_process_of_the_previous_release_is_stored_and_stamped_under_the_locks()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        var previousReleaseTime = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var call = new NpgsqlCommand("SELECT outcome, message_seq FROM send_messages($1, $2, $3, $4, $5, $6, $7)", connection)
        {
            Parameters =
            {
                new() { Value = new[] { Guid.CreateVersion7() }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = new[] { group.Id }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = new[] { alice.Id }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = new[] { Guid.NewGuid() }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = new[] { "from the previous release" }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = new long?[] { null }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                new() { Value = previousReleaseTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        await using (var reader = await call.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(("created", 1L), (reader.GetString(0), reader.GetInt64(1)));
        }

        var stored = Assert.Single(await Chat.CatchUpAsync(bob, group.Id, after: 0));
        Assert.Equal("from the previous release", stored.Body);
        Assert.True(stored.CreatedAt > previousReleaseTime.AddYears(20), $"stamped {stored.CreatedAt:O}");
    }

    private sealed record Send(Guid Conversation, TestUser Sender, Guid ClientMessageId, string Body, long? ReplyTo);

    /// <summary>One call of send_messages, as MessageCommitter makes it: its answers, a row per send in order.</summary>
    private async Task<List<(string Outcome, Guid? Id, long? Seq, string? Body, long? ReplyTo)>> SendMessagesAsync(Guid[] ids, Send[] sends)
    {
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        return await SendMessagesAsync(connection, ids, sends);
    }

    /// <inheritdoc cref="SendMessagesAsync(Guid[], Send[])"/>
    private static async Task<List<(string Outcome, Guid? Id, long? Seq, string? Body, long? ReplyTo)>> SendMessagesAsync(NpgsqlConnection connection, Guid[] ids, Send[] sends)
    {
        await using var call = new NpgsqlCommand(
            "SELECT outcome, message_id, message_seq, message_body, message_reply_to_seq FROM send_messages($1, $2, $3, $4, $5, $6)", connection)
        {
            Parameters =
            {
                new() { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = sends.Select(s => s.Conversation).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = sends.Select(s => s.Sender.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = sends.Select(s => s.ClientMessageId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = sends.Select(s => s.Body).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                new() { Value = sends.Select(s => s.ReplyTo).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
            },
        };
        var answered = new List<(string, Guid?, long?, string?, long?)>();
        await using var reader = await call.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            answered.Add((
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        return answered;
    }
}
