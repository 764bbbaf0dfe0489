using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Messages;

/// <summary>
/// Requests that meet: the Api and both Realtime nodes each commit through their own committer, so the same user's
/// calls through different doors are different transactions that only PostgreSQL's locks put in order. Where a race's
/// window is too narrow to meet by chance, a row the test holds stops one request inside it while the other is made.
/// </summary>
public sealed class MessagingRaceTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task One_client_message_id_sent_at_once_over_REST_and_both_hub_nodes_is_stored_once_answered_alike_and_announced_once()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(alice, bob);
        await using var aliceOnNode0 = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), alice.AccessToken);
        await using var aliceOnNode1 = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), alice.AccessToken);
        await using var bobHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), bob.AccessToken);
        const int rounds = 10;

        for (var round = 0; round < rounds; round++)
        {
            // Each door's copy has its own body, so the body stored tells whose send was the one stored.
            var clientMessageId = Guid.NewGuid();
            var overRest = Chat.PostMessageAsync(alice, group.Id, $"{round} over REST", clientMessageId);
            var overNode0 = aliceOnNode0.Connection.InvokeAsync<MessageResponse>("SendMessage", group.Id, clientMessageId, $"{round} over node 0", null);
            var overNode1 = aliceOnNode1.Connection.InvokeAsync<MessageResponse>("SendMessage", group.Id, clientMessageId, $"{round} over node 1", null);
            var response = await overRest;
            var answers = new[] { await response.ReadAsync<MessageResponse>(), await overNode0, await overNode1 };

            var stored = Assert.Single(answers.DistinctBy(m => (m.Id, m.Seq, m.Body, m.CreatedAt)));
            Assert.Equal(round + 1, stored.Seq);
            Assert.Equal(stored.Body == $"{round} over REST" ? HttpStatusCode.Created : HttpStatusCode.OK, response.StatusCode);
        }

        var history = await Chat.CatchUpAsync(bob, group.Id, after: 0);
        Assert.Equal(Enumerable.Range(1, rounds).Select(i => (long)i), history.Select(m => m.Seq));
        await bobHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Seq == rounds);
        // A second announcement would come from another process's commit, as soon as the first: a moment is enough.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.Equal(history.Select(m => m.Id), bobHub.Received<MessageResponse>("MessageReceived").Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Read_markers_set_at_once_over_REST_and_both_hub_nodes_end_at_the_highest_and_each_move_is_announced_once()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(alice, bob);
        for (var i = 1; i <= 20; i++)
        {
            await Chat.SendAsync(alice, direct.Id, $"hi {i}");
        }

        await using var aliceHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), alice.AccessToken);
        HubClient[] bobHubs =
        [
            await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), bob.AccessToken),
            await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), bob.AccessToken),
        ];
        try
        {
            // Bob has read up to 15 of 20, told in any order by three processes at once.
            var seqs = Enumerable.Range(1, 15).Select(i => (long)i).OrderBy(_ => Random.Shared.Next()).ToArray();
            await Task.WhenAll(seqs.Select((seq, i) => i % 3 == 2
                ? bob.Client.PostJsonAsync($"/api/v1/conversations/{direct.Id}/read", new { seq })
                : bobHubs[i % 3].Connection.InvokeAsync("MarkRead", direct.Id, seq)));

            var bobsView = await Chat.GetAsync(bob, direct.Id);
            Assert.Equal((15L, 5), (bobsView.LastReadSeq, bobsView.UnreadCount));
            await aliceHub.WaitForAsync<ReadReceiptEvent>("ReadReceipt", r => r.Seq == 15);
            // Every receipt announces a move the marker made, and each move once: from different processes they may
            // arrive out of order, which a client shows right by keeping the highest (README).
            var receipts = aliceHub.Received<ReadReceiptEvent>("ReadReceipt").Where(r => r.UserId == bob.Id).Select(r => r.Seq).ToList();
            Assert.Equal(receipts.Count, receipts.Distinct().Count());
            Assert.All(receipts, seq => Assert.InRange(seq, 1, 15));
        }
        finally
        {
            await Task.WhenAll(bobHubs.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// A send takes its conversation's lock, then writes its sender's read marker; a removal took the member's row, then
    /// the conversation's: held between the two (here at the send's INSERT, whose sender the test holds), they waited
    /// on each other until PostgreSQL broke the deadlock a second later and one of them was answered 503.
    /// </summary>
    [Fact]
    public async Task A_send_meeting_its_senders_removal_is_stored_and_delivered_or_refused_404_and_the_removal_succeeds()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var member = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(owner, member);
        await using var ownerHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 0), owner.AccessToken);
        await using var held = await HeldRow.LockAsync(fixture, $"SELECT 1 FROM users WHERE id = '{member.Id}' FOR UPDATE");

        var send = Chat.PostMessageAsync(member, group.Id, "as I am removed");
        var sendBackend = await held.WaitForWaiterAsync();
        var removal = owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{member.Id}");
        await held.UntilDoneOrWaitingAsync(removal, behind: sendBackend);
        await held.ReleaseAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await removal).StatusCode);
        var sent = await send;
        var history = await Chat.CatchUpAsync(owner, group.Id, after: 0);
        if (sent.StatusCode == HttpStatusCode.Created)
        {
            var message = await sent.ReadAsync<MessageResponse>();
            Assert.Equal([(1L, message.Id)], history.Select(m => (m.Seq, m.Id)));
            await ownerHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Id == message.Id);
        }
        else
        {
            await ProblemAssert.IsProblemAsync(sent, HttpStatusCode.NotFound);
            Assert.Empty(history);
        }
    }

    /// <summary>
    /// A send checks for blocks under its conversation's lock, then stores; a block written meanwhile (here while the
    /// test holds the sender's read marker, the send's last write) answered 204 and the message was stored after it.
    /// </summary>
    [Fact]
    public async Task Once_a_block_has_answered_no_message_from_the_blocked_user_is_stored()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        var direct = await Chat.OpenDirectAsync(blocker, blocked);
        await using var held = await HeldRow.LockAsync(
            fixture, $"SELECT 1 FROM conversation_members WHERE conversation_id = '{direct.Id}' AND user_id = '{blocked.Id}' FOR UPDATE");

        var send = Chat.PostMessageAsync(blocked, direct.Id, "just before the block");
        var sendBackend = await held.WaitForWaiterAsync();
        var block = blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null);
        await held.UntilDoneOrWaitingAsync(block, behind: sendBackend);
        var seenWhenBlocked = block.IsCompleted ? await Chat.CatchUpAsync(blocker, direct.Id, after: 0) : null;
        await held.ReleaseAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await block).StatusCode);
        seenWhenBlocked ??= await Chat.CatchUpAsync(blocker, direct.Id, after: 0);
        await send;

        Assert.Equal(seenWhenBlocked.Select(m => m.Id), (await Chat.CatchUpAsync(blocker, direct.Id, after: 0)).Select(m => m.Id));
        await ProblemAssert.IsProblemAsync(await Chat.PostMessageAsync(blocked, direct.Id, "after the block"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Catching_up_during_a_burst_of_sends_through_three_processes_never_skips_a_seq()
    {
        var owner = await TestUser.RegisterAsync(fixture);
        var senders = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => TestUser.RegisterAsync(fixture)));
        var group = await Chat.CreateGroupAsync(owner, senders);
        var hubs = await Task.WhenAll(senders.Select((s, i) => HubClient.ConnectAsync(fixture.GetEndpoint("realtime", i % 2), s.AccessToken)));
        try
        {
            // Ten sends per sender, half per door (under the hub's burst of 20).
            var burst = Task.WhenAll(senders.SelectMany((sender, s) => Enumerable.Range(0, 10).Select(i => i % 2 == 0
                ? (Task)Chat.PostMessageAsync(sender, group.Id, $"{s}.{i}")
                : hubs[s].Connection.InvokeAsync<MessageResponse>("SendMessage", group.Id, Guid.NewGuid(), $"{s}.{i}", null))));

            // A reader catching up over and over: each page must go on exactly where the last one stopped.
            long seen = 0;
            while (seen < 60)
            {
                var page = await (await owner.Client.GetAsync($"/api/v1/conversations/{group.Id}/messages?after={seen}&limit=100")).ReadAsync<Page<MessageResponse>>();
                Assert.Equal(Enumerable.Range(1, page.Items.Count).Select(i => seen + i), page.Items.Select(m => m.Seq));
                seen += page.Items.Count;
                Assert.False(burst.IsCompleted && page.Items.Count == 0, $"the burst is over and catch-up stopped at seq {seen}");
            }

            await burst;
        }
        finally
        {
            await Task.WhenAll(hubs.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// A row held FOR UPDATE by the test's own transaction, stopping the request that needs it at that point until
    /// released, so that another request can be made to meet it there. Who waits is read from pg_stat_activity.
    /// </summary>
    private sealed class HeldRow : IAsyncDisposable
    {
        private readonly NpgsqlDataSource dataSource;
        private readonly NpgsqlConnection holder;
        private readonly NpgsqlTransaction transaction;

        private HeldRow(NpgsqlDataSource dataSource, NpgsqlConnection holder, NpgsqlTransaction transaction) =>
            (this.dataSource, this.holder, this.transaction) = (dataSource, holder, transaction);

        public static async Task<HeldRow> LockAsync(SocialChatAppFixture fixture, string lockSql)
        {
            var dataSource = NpgsqlDataSource.Create((await fixture.GetConnectionStringAsync("socialdb"))!);
            var holder = await dataSource.OpenConnectionAsync();
            var transaction = await holder.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand(lockSql, holder, transaction))
            {
                Assert.NotNull(await command.ExecuteScalarAsync());
            }

            return new HeldRow(dataSource, holder, transaction);
        }

        /// <summary>The backend of a request that waits for this row (or for the backend given), once there is one.</summary>
        public async Task<int> WaitForWaiterAsync(int? behind = null, CancellationToken cancellationToken = default)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await using var command = dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) LIMIT 1");
                command.Parameters.Add(new NpgsqlParameter { Value = behind ?? holder.ProcessID });
                if (await command.ExecuteScalarAsync() is int waiter)
                {
                    return waiter;
                }

                await Task.Delay(20, cancellationToken);
            }

            throw new TimeoutException($"Nothing waited behind backend {behind ?? holder.ProcessID}.");
        }

        /// <summary>Until the request has been answered, or waits behind that backend: whichever comes first.</summary>
        public async Task UntilDoneOrWaitingAsync(Task request, int behind)
        {
            using var answered = new CancellationTokenSource();
            var waiting = WaitForWaiterAsync(behind, answered.Token);
            await Task.WhenAny(request, waiting);
            await answered.CancelAsync();
            await ((Task)waiting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        public Task ReleaseAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await holder.DisposeAsync();
            await dataSource.DisposeAsync();
        }
    }
}
