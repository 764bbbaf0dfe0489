using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SocialChat.Data.Common;

namespace SocialChat.Data.Messages;

/// <summary>A send whose input is valid (body, clientMessageId), waiting for the checks that need its conversation's lock, and its commit.</summary>
public sealed record NewMessage(Guid ConversationId, Guid SenderId, Guid ClientMessageId, string Body, long? ReplyToSeq);

/// <summary>
/// Checks and stores the sends of this process in grouped transactions: PostgreSQL's fsync per commit, not the work
/// of a send, bounds a commit-per-message path (PERFORMANCE.md), so concurrent sends share one commit; and the checks
/// of a send (member, reply, blocks) are made for the whole group under its locks, in the one round trip that also
/// stores it, instead of a query per send before it (BENCHMARKS.md: that query was most of PostgreSQL's work per send
/// in large groups). The caller's task completes only after the commit, so a message is still durable before anyone is
/// told of it.
/// </summary>
public sealed partial class MessageCommitter : IAsyncDisposable
{
    /// <summary>Below this many sends a batch waits for more while sends arrive steadily (<see cref="MessageCommitOptions.CommitLinger"/>).</summary>
    private const int SmallBatch = 4;

    private readonly Channel<PendingSend>[] queues;
    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger<MessageCommitter> logger;
    private readonly int maxBatchSize;
    private readonly TimeSpan commitLinger;
    private readonly Task[] committers;

    // The data source, not a DbContext: this singleton outlives every request scope and its committers run at the
    // same time, while a DbContext is scoped and runs one command at a time. It is the pool the DbContexts draw on,
    // so the connection string's rules for PgBouncer (Max Auto Prepare=0, No Reset On Close) hold here too.
    public MessageCommitter(NpgsqlDataSource dataSource, IOptions<MessageCommitOptions> options, ILogger<MessageCommitter> logger)
    {
        this.dataSource = dataSource;
        this.logger = logger;
        maxBatchSize = options.Value.MaxBatchSize;
        commitLinger = options.Value.CommitLinger;
        queues = [.. Enumerable.Range(0, options.Value.Committers).Select(_ => Channel.CreateUnbounded<PendingSend>(new UnboundedChannelOptions { SingleReader = true }))];
        // The first send's request creates this singleton: without SuppressFlow the committers would carry its
        // Activity and log scope for the life of the process.
        using (ExecutionContext.SuppressFlow())
        {
            committers = [.. queues.Select(queue => Task.Run(() => CommitWaitingAsync(queue.Reader)))];
        }
    }

    /// <summary>
    /// The stored message: created by this call, or the one stored before under the same (conversation, sender,
    /// clientMessageId), also when that one is in the same commit. Refused when the sender is not a member (or the
    /// conversation is gone), and otherwise, unless it is such a retry, when the reply's seq is past the last message
    /// or a block stands between the members of a direct conversation. Every send of a commit that failed transiently
    /// (the database went away) gets the same exception.
    /// </summary>
    public async Task<Result<SentMessage>> StoreAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var pending = new PendingSend(message, Activity.Current?.Context, cancellationToken);
        // A conversation's sends always go to the same committer: they would wait on each other's row lock anyway,
        // and committers whose batches shared conversations would run one after the other instead of side by side.
        var queue = queues[(uint)message.ConversationId.GetHashCode() % (uint)queues.Length];
        if (!queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(MessageCommitter), "The service is stopping.");
        }

        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in queues)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(committers);
    }

    private async Task CommitWaitingAsync(ChannelReader<PendingSend> queue)
    {
        var batch = new List<PendingSend>(maxBatchSize);
        var arrivals = new SendArrivals();
        while (await queue.WaitToReadAsync())
        {
            Take(queue, batch, arrivals);
            // Too few to share a commit, but more expected within CommitLinger: a moment's wait gives them company. It
            // ends as soon as enough are waiting, so callers that send again at once (a busy client) do not wait; and
            // sends further apart than the linger (a quiet spell, a light load) are not held for company that would
            // not come in time.
            if (batch.Count < SmallBatch && arrivals.MeanGap < commitLinger)
            {
                using var linger = new CancellationTokenSource(commitLinger);
                while (batch.Count < SmallBatch)
                {
                    var more = queue.WaitToReadAsync(linger.Token).AsTask();
                    await ((Task)more).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (!more.IsCompletedSuccessfully || !more.Result)
                    {
                        break; // the linger is over, or the process is stopping
                    }

                    Take(queue, batch, arrivals);
                }
            }

            // A caller that gave up before its commit began is not stored: it sees a failure, and its retry with the
            // same clientMessageId stores the message then.
            batch.RemoveAll(pending => pending.CallerToken.IsCancellationRequested && pending.Completion.TrySetCanceled(pending.CallerToken));
            if (batch.Count > 0)
            {
                await CommitAsync(batch);
                batch.Clear();
            }
        }
    }

    private void Take(ChannelReader<PendingSend> queue, List<PendingSend> batch, SendArrivals arrivals)
    {
        var before = batch.Count;
        while (batch.Count < maxBatchSize && queue.TryRead(out var pending))
        {
            batch.Add(pending);
        }

        arrivals.Took(batch.Count - before);
    }

    private async Task CommitAsync(IReadOnlyList<PendingSend> batch)
    {
        try
        {
            var stored = await StoreInOneTransactionAsync(batch);
            SocialChatMetrics.SendsPerCommit.Record(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(stored[i]);
            }
        }
        catch (Exception exception) when (batch.Count == 1 || TransientFailures.IsTransient(exception))
        {
            // Nothing of the transaction was committed, or (the connection broke during COMMIT) nobody can know:
            // each caller retries with its clientMessageId, which finds the message if it was stored.
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(exception);
            }
        }
        catch (Exception exception)
        {
            // One send the database refuses (say its sender was deleted meanwhile) must not fail the others.
            LogBatchRefused(exception, batch.Count);
            foreach (var pending in batch)
            {
                await CommitAsync([pending]);
            }
        }
    }

    /// <summary>
    /// One round trip: send_messages (migrations SendMessagesFunction, SendMessagesUpdatesInBulk,
    /// SendMessagesStampsUnderLocks, SendMessagesAnswersRevision) locks the conversations, checks, numbers and timestamps the sends under those
    /// locks, stores the new messages and answers a row per send; the COMMIT follows in the same batch. The answers are
    /// final only once the COMMIT's result is read, so the whole reader is read before any caller hears of them.
    /// </summary>
    private async Task<Result<SentMessage>[]> StoreInOneTransactionAsync(IReadOnlyList<PendingSend> batch)
    {
        // In the trace of the batch's first send, so that a lone send's trace shows its checks and commit; it links to
        // the other sends' traces.
        var callers = batch.Where(p => p.Caller is not null).Select(p => p.Caller!.Value).ToList();
        using var activity = SocialChatTelemetry.ActivitySource.StartActivity(
            "store messages", ActivityKind.Internal, parentContext: callers.FirstOrDefault(),
            links: callers.Skip(1).Select(caller => new ActivityLink(caller)));
        activity?.SetTag("socialchat.messages.batch_size", batch.Count);

        var messages = batch.Select(p => p.Message).ToArray();
        var results = new Result<SentMessage>[messages.Length];

        // When a statement fails, the transaction is left open or failed, and closing the connection rolls it back:
        // Npgsql resets a pooled connection's transaction, a raw one too.
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var send = new NpgsqlBatch(connection);
        send.BatchCommands.Add(Command("BEGIN"));
        send.BatchCommands.Add(Command(
            "SELECT * FROM send_messages($1, $2, $3, $4, $5, $6)",
            ArrayOf(messages.Select(_ => Guid.CreateVersion7()), NpgsqlDbType.Uuid),
            ArrayOf(messages.Select(m => m.ConversationId), NpgsqlDbType.Uuid),
            ArrayOf(messages.Select(m => m.SenderId), NpgsqlDbType.Uuid),
            ArrayOf(messages.Select(m => m.ClientMessageId), NpgsqlDbType.Uuid),
            ArrayOf(messages.Select(m => m.Body), NpgsqlDbType.Text),
            ArrayOf(messages.Select(m => m.ReplyToSeq), NpgsqlDbType.Bigint)));
        send.BatchCommands.Add(Command("COMMIT"));
        await using (var reader = await send.ExecuteReaderAsync())
        {
            // A row per send, in the batch's order.
            for (var i = 0; await reader.ReadAsync(); i++)
            {
                var message = messages[i];
                var outcome = reader.GetString(0);
                results[i] = outcome switch
                {
                    "created" or "earlier" => new SentMessage(
                        new MessageResponse(
                            reader.GetGuid(1), message.ConversationId, reader.GetInt64(2), message.SenderId, message.ClientMessageId,
                            reader.IsDBNull(3) ? null : reader.GetString(3),
                            reader.IsDBNull(4) ? null : reader.GetInt64(4),
                            // The time PostgreSQL stored, to the microsecond: the createdAt a sender is answered is the
                            // one history shows.
                            reader.GetDateTime(5),
                            reader.IsDBNull(6) ? null : reader.GetDateTime(6),
                            reader.IsDBNull(7) ? null : reader.GetDateTime(7),
                            reader.GetInt64(8)),
                        Created: outcome == "created"),
                    "not_found" => Messages.ConversationNotFound,
                    "reply_out_of_range" => Messages.ReplyNotInConversation,
                    "blocked" => Messages.BlockedBetweenMembers,
                    _ => throw new InvalidOperationException($"send_messages answered an unknown outcome '{outcome}'."),
                };
            }

            // The COMMIT's result: a commit that failed throws here, before anyone is answered.
            while (await reader.NextResultAsync())
            {
            }
        }

        return results;
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter ArrayOf<T>(IEnumerable<T> values, NpgsqlDbType elementType) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | elementType };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A commit of {Count} sends was refused; storing them one at a time")]
    private partial void LogBatchRefused(Exception exception, int count);

    /// <summary>
    /// How often sends reach one committer: the gap between them, smoothed over the last several takes (a quarter of each
    /// new one), so that one quick send after slow ones does not count as a steady flow. Unknown (the longest) until two
    /// takes have been seen.
    /// </summary>
    private sealed class SendArrivals
    {
        private long lastTaken;

        public TimeSpan MeanGap { get; private set; } = TimeSpan.MaxValue;

        public void Took(int count)
        {
            if (count == 0)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (lastTaken != 0)
            {
                var gap = Stopwatch.GetElapsedTime(lastTaken, now) / count;
                MeanGap = MeanGap == TimeSpan.MaxValue ? gap : MeanGap + ((gap - MeanGap) / 4);
            }

            lastTaken = now;
        }
    }

    private sealed record PendingSend(NewMessage Message, ActivityContext? Caller, CancellationToken CallerToken)
    {
        public TaskCompletionSource<Result<SentMessage>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
