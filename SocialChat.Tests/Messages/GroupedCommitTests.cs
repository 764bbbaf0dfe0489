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
        (Guid Conversation, TestUser Sender, Guid ClientMessageId, string Body, long? ReplyTo)[] sends =
        [
            (group.Id, alice, first, "one", null),
            (group.Id, bob, early, "a reply to what is not sent yet", 2),
            (group.Id, alice, first, "one", null),
            (group.Id, bob, answer, "a reply to the first", 1),
            (group.Id, stranger, outsider, "not a member", null),
            (group.Id, bob, early, "a reply to the answer", 2),
            (direct.Id, alice, blocked, "past a block", null),
        ];
        var ids = sends.Select(_ => Guid.NewGuid()).ToArray();

        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync();
        await using var call = new NpgsqlCommand("SELECT outcome, message_id, message_seq FROM send_messages($1, $2, $3, $4, $5, $6, now())", connection)
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
        var answered = new List<(string Outcome, Guid? Id, long? Seq)>();
        await using (var reader = await call.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                answered.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetInt64(2)));
            }
        }

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
    /// send's createdAt is when its commit began, so it shows how long the send was held.
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
}
