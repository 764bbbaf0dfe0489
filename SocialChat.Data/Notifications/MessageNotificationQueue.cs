using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SocialChat.Data.Notifications;

/// <summary>
/// The conversations with new messages that the Worker has not looked at yet for message notifications: a Redis sorted
/// set scored by when the first of those messages was sent, so a busy conversation is one entry however many messages
/// it takes. Only a hint: whom to notify is read from the members' read markers (<see cref="MessageNotifier"/>), so a
/// hint that is lost (Redis away, a process that crashed holding it) delays that conversation's notifications to its
/// next message and loses nothing stored.
/// </summary>
public sealed class MessageNotificationQueue(IConnectionMultiplexer redis, TimeProvider time, ILogger<MessageNotificationQueue> logger)
{
    private static readonly RedisKey ConversationsKey = "notifications:message-conversations";

    // Hints wait this long to share one command: a grouped commit completes dozens of sends at the same moment.
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(200);

    // Takes the entries due and removes them in one step. A message committed before the removal is seen by the Worker's
    // read that follows it; one committed after it adds its conversation again.
    private static readonly LuaScript TakeDueScript = LuaScript.Prepare("""
        local due = redis.call('ZRANGEBYSCORE', @key, '-inf', @dueBy, 'LIMIT', 0, @count)
        if #due > 0 then
            redis.call('ZREM', @key, unpack(due))
        end
        return due
        """);

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
    /// <paramref name="age"/> old.
    /// </summary>
    public async Task<List<Guid>> TakeDueAsync(TimeSpan age, int count)
    {
        var due = (RedisResult[]?)await redis.GetDatabase().ScriptEvaluateAsync(TakeDueScript, new
        {
            key = ConversationsKey,
            dueBy = (time.GetUtcNow() - age).ToUnixTimeMilliseconds(),
            count,
        });
        return [.. (due ?? []).Select(id => Guid.ParseExact(id.ToString(), "N"))];
    }

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

        // NX: a conversation already waiting keeps the time of its first message.
        var sentAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            await redis.GetDatabase().SortedSetAddAsync(ConversationsKey, [.. batch.Select(id => new SortedSetEntry(id.ToString("N"), sentAt))], SortedSetWhen.NotExists);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Message notification hints for {Count} conversations were lost; their next messages notify instead", batch.Count);
        }
    }
}
