using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SocialChat.Data.Notifications;

/// <summary>
/// The conversations with new messages that the Worker has not looked at yet for message notifications: a Redis sorted
/// set scored by when the first of those messages was sent, so a busy conversation is one entry however many messages
/// it takes. Only a hint: whom to notify is read from the members' read markers (<see cref="MessageNotifier"/>), so a
/// hint that is lost (Redis away) delays that conversation's notifications to its next message and loses nothing
/// stored. A pass leases what it takes rather than removing it, and removes it once its notifications are written: the
/// hints of a Worker that dies in between come due again when their lease ends.
/// </summary>
public sealed class MessageNotificationQueue(IConnectionMultiplexer redis, TimeProvider time, ILogger<MessageNotificationQueue> logger)
{
    private static readonly RedisKey ConversationsKey = "notifications:message-conversations";

    // Hints wait this long to share one command: a grouped commit completes dozens of sends at the same moment.
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(200);

    // Takes the entries due and leases them in one step: each is due again at the lease's end. A message committed before
    // the lease is seen by the Worker's read that follows it; one committed after it moves its conversation's time back
    // to its own (LT, below), so the pass that holds the lease does not remove it.
    private static readonly LuaScript TakeDueScript = LuaScript.Prepare("""
        local due = redis.call('ZRANGEBYSCORE', @key, '-inf', @dueBy, 'LIMIT', 0, @count)
        for _, conversation in ipairs(due) do
            redis.call('ZADD', @key, 'XX', @leasedUntil, conversation)
        end
        return due
        """);

    // KEYS[1]: the set; ARGV[1]: the lease's end; ARGV[2..]: the conversations leased until then.
    private const string CompleteScript = """
        for i = 2, #ARGV do
            if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i])) == tonumber(ARGV[1]) then
                redis.call('ZREM', KEYS[1], ARGV[i])
            end
        end
        """;

    private readonly Lock _gate = new();
    private HashSet<Guid> _waiting = [];
    private bool _flushScheduled;

    /// <summary>Returns at once; the conversation reaches Redis within <see cref="GatherTime"/>, with the others enqueued meanwhile.</summary>
    public void Enqueue(Guid conversationId)
    {
        lock (_gate)
        {
            _waiting.Add(conversationId);
            if (_flushScheduled)
            {
                return;
            }

            _flushScheduled = true;
        }

        // Not in the caller's flow: the write outlives the send that started it, and would carry its trace.
        using (ExecutionContext.SuppressFlow())
        {
            _ = FlushAfterGatherTimeAsync();
        }
    }

    /// <summary>
    /// Takes up to <paramref name="count"/> conversations whose first message not yet looked at is at least
    /// <paramref name="age"/> old, for <paramref name="lease"/>: complete them (<see cref="CompleteAsync"/>) once their
    /// notifications are written, or they come due again.
    /// </summary>
    public async Task<DueConversations> TakeDueAsync(TimeSpan age, int count, TimeSpan lease)
    {
        var now = time.GetUtcNow();
        var leasedUntil = (now + lease).ToUnixTimeMilliseconds();
        var due = (RedisResult[]?)await redis.GetDatabase().ScriptEvaluateAsync(TakeDueScript, new
        {
            key = ConversationsKey,
            dueBy = (now - age).ToUnixTimeMilliseconds(),
            count,
            leasedUntil,
        });
        return new DueConversations([.. (due ?? []).Select(id => Guid.ParseExact(id.ToString(), "N"))], leasedUntil);
    }

    /// <summary>Removes conversations taken by <see cref="TakeDueAsync"/>, but those with a message since they were taken.</summary>
    public Task CompleteAsync(DueConversations taken) =>
        redis.GetDatabase().ScriptEvaluateAsync(
            CompleteScript, [ConversationsKey], [taken.LeasedUntil, .. taken.ConversationIds.Select(id => (RedisValue)id.ToString("N"))]);

    /// <summary>Puts conversations taken by <see cref="TakeDueAsync"/> back, due at once.</summary>
    public Task RequeueAsync(IReadOnlyCollection<Guid> conversationIds) =>
        redis.GetDatabase().SortedSetAddAsync(ConversationsKey, [.. conversationIds.Select(id => new SortedSetEntry(id.ToString("N"), 0))]);

    private async Task FlushAfterGatherTimeAsync()
    {
        await Task.Delay(GatherTime, time);
        HashSet<Guid> batch;
        lock (_gate)
        {
            (batch, _waiting) = (_waiting, []);
            _flushScheduled = false;
        }

        // LT: a conversation already waiting keeps the time of its first message, and one leased by a pass takes this
        // message's time, which keeps the pass from removing it.
        var sentAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            await redis.GetDatabase().SortedSetAddAsync(ConversationsKey, [.. batch.Select(id => new SortedSetEntry(id.ToString("N"), sentAt))], SortedSetWhen.LessThan);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Message notification hints for {Count} conversations were lost; their next messages notify instead", batch.Count);
        }
    }
}

/// <summary>Conversations a pass took, and until when it holds them.</summary>
public sealed record DueConversations(IReadOnlyList<Guid> ConversationIds, long LeasedUntil);
