using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Data.Social;

/// <summary>
/// Per-user home timelines in Redis: a sorted set of post ids scored by the millisecond in their v7 id, capped. A timeline
/// only ever grows from a complete state: fan-out adds to timelines that exist, and a missing one is
/// rebuilt from PostgreSQL in full, so Redis losing a key costs a rebuild, never a post.
/// </summary>
public sealed class TimelineStore(IConnectionMultiplexer redis, IOptions<SocialOptions> options, IOptions<RedisOutageOptions> outage)
{
    // A sorted set cannot be empty; this member makes "built, nothing in it" distinguishable from "missing".
    private const string BuiltMarker = "built";

    private static readonly LuaScript AddIfBuiltScript = LuaScript.Prepare("""
        if redis.call('EXISTS', @key) == 1 then
            redis.call('ZADD', @key, @score, @member)
            redis.call('ZREMRANGEBYRANK', @key, 1, -(@capacity + 1))
        end
        """);

    private IDatabase Database => redis.GetDatabase();

    public static RedisKey KeyFor(Guid userId) => $"timeline:{userId:N}";

    /// <summary>Adds a post to each of these users' timelines that is built; others rebuild on their next read.</summary>
    public async Task AddToBuiltTimelinesAsync(IEnumerable<Guid> userIds, Guid postId)
    {
        var batch = Database.CreateBatch();
        var member = postId.ToString("N");
        var score = ScoreOf(postId);
        var capacity = options.Value.TimelineCapacity;
        var writes = userIds
            .Select(userId => batch.ScriptEvaluateAsync(AddIfBuiltScript, new { key = KeyFor(userId), score, member, capacity }))
            .ToList();
        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>
    /// A new post in its author's own timeline (if built) as it is created, so that the author's next feed read shows it:
    /// the Worker's fan-out, which adds it to every follower's timeline and the author's, comes a moment later. Skipped
    /// when Redis does not take it in time, since the fan-out adds it all the same.
    /// </summary>
    public async Task AddOwnPostAsync(Guid authorId, Guid postId)
    {
        try
        {
            await AddToBuiltTimelinesAsync([authorId], postId).WaitAsync(outage.Value.DroppableWorkTimeout);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, CancellationToken.None))
        {
        }
    }

    public async Task RemoveFromTimelinesAsync(IEnumerable<Guid> userIds, Guid postId)
    {
        var batch = Database.CreateBatch();
        var member = postId.ToString("N");
        var writes = userIds.Select(userId => batch.SortedSetRemoveAsync(KeyFor(userId), member)).ToList();
        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>Replaces a timeline with a complete list of post ids (newest first, at most the capacity).</summary>
    public async Task StoreBuiltAsync(Guid userId, IReadOnlyList<Guid> postIds)
    {
        var entries = postIds
            .Select(id => new SortedSetEntry(id.ToString("N"), ScoreOf(id)))
            .Append(new SortedSetEntry(BuiltMarker, double.NegativeInfinity))
            .ToArray();
        var transaction = Database.CreateTransaction();
        _ = transaction.KeyDeleteAsync(KeyFor(userId));
        _ = transaction.SortedSetAddAsync(KeyFor(userId), entries);
        await transaction.ExecuteAsync();
    }

    /// <summary>
    /// Post ids older than <paramref name="before"/> (newest first), or null when the timeline is not built.
    /// <c>IsComplete</c> says the timeline holds every older post (it was never trimmed at the capacity).
    /// </summary>
    public async Task<TimelineSlice?> ReadAsync(Guid userId, Guid? before, int count)
    {
        var key = KeyFor(userId);
        var maxScore = before is { } beforeId ? ScoreOf(beforeId) : double.PositiveInfinity;
        // Entries sharing the cursor's millisecond may sit on either side of it; over-fetch and filter by id.
        var entries = await Database.SortedSetRangeByScoreWithScoresAsync(
            key, start: double.NegativeInfinity, stop: maxScore, order: Order.Descending, take: count + 64);
        if (entries.Length == 0)
        {
            return null;
        }

        var ids = entries
            .Where(e => e.Element != BuiltMarker)
            .Select(e => Guid.ParseExact(e.Element.ToString(), "N"))
            .Where(id => before is null || id < before)
            .Take(count)
            .ToList();
        var length = await Database.SortedSetLengthAsync(key);
        return new TimelineSlice(ids, IsComplete: length - 1 < options.Value.TimelineCapacity);
    }

    // A v7 id starts with its Unix millisecond (48 bits, big-endian): scoring by it makes the set's order the id order.
    private static double ScoreOf(Guid postId) => Convert.ToInt64(postId.ToString("N")[..12], 16);
}

public sealed record TimelineSlice(IReadOnlyList<Guid> PostIds, bool IsComplete);
