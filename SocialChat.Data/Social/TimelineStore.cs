using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Data.Social;

/// <summary>
/// Per-user home timelines in Redis: a sorted set of post ids scored by the millisecond in their v7 id, capped. A timeline
/// only ever grows from a complete state: fan-out adds to timelines that exist, and a missing one is
/// rebuilt from PostgreSQL in full, so Redis losing a key costs a rebuild, never a post.
/// </summary>
/// <remarks>
/// A rebuild first creates the key, marked as building, and then reads PostgreSQL: a post committed after that read
/// began is fanned out into the key meanwhile, and the rebuild adds its list to what the key holds rather than replacing
/// it. Had the key been created only with the list, such a post would have been skipped by its fan-out (no timeline
/// yet) and missing from the list, and so from the feed for good.
/// </remarks>
public sealed class TimelineStore(IConnectionMultiplexer redis, IOptions<SocialOptions> options, IOptions<RedisOutageOptions> outage)
{
    // A sorted set cannot be empty; these members make "being built" and "built, nothing in it" distinguishable from
    // "missing". A timeline holds one of them, at rank 0, whose score no post has.
    private const string BuiltMarker = "built";
    private const string BuildingMarker = "building";

    private static readonly LuaScript BeginBuildScript = LuaScript.Prepare("""
        if redis.call('EXISTS', @key) == 0 then
            redis.call('ZADD', @key, '-inf', @building)
        end
        """);

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

    /// <summary>Creates the timeline, marked as being built, unless it exists: fan-out adds to it from then on.</summary>
    public Task BeginBuildAsync(Guid userId) =>
        Database.ScriptEvaluateAsync(BeginBuildScript, new { key = KeyFor(userId), building = BuildingMarker });

    /// <summary>
    /// Completes a timeline begun by <see cref="BeginBuildAsync"/> with the list read from PostgreSQL once it was begun
    /// (newest first, at most the capacity), adding to what fan-out put there meanwhile.
    /// </summary>
    public async Task FinishBuildAsync(Guid userId, IReadOnlyList<Guid> postIds)
    {
        var key = KeyFor(userId);
        var transaction = Database.CreateTransaction();
        _ = transaction.SortedSetAddAsync(key, BuiltMarker, double.NegativeInfinity);
        _ = transaction.SortedSetRemoveAsync(key, BuildingMarker);
        if (postIds.Count > 0)
        {
            _ = transaction.SortedSetAddAsync(key, [.. postIds.Select(id => new SortedSetEntry(id.ToString("N"), ScoreOf(id)))]);
        }

        _ = transaction.SortedSetRemoveRangeByRankAsync(key, 1, -(options.Value.TimelineCapacity + 1));
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
        var batch = Database.CreateBatch();
        var built = batch.SortedSetScoreAsync(key, BuiltMarker);
        // Entries sharing the cursor's millisecond may sit on either side of it; over-fetch and filter by id.
        var entries = batch.SortedSetRangeByScoreWithScoresAsync(
            key, start: double.NegativeInfinity, stop: maxScore, order: Order.Descending, take: count + 64);
        var length = batch.SortedSetLengthAsync(key);
        batch.Execute();
        await Task.WhenAll(built, entries, length);
        if (built.Result is null)
        {
            return null;
        }

        var ids = entries.Result
            .Where(e => e.Element != BuiltMarker && e.Element != BuildingMarker)
            .Select(e => Guid.ParseExact(e.Element.ToString(), "N"))
            .Where(id => before is null || id < before)
            .Take(count)
            .ToList();
        return new TimelineSlice(ids, IsComplete: length.Result - 1 < options.Value.TimelineCapacity);
    }

    // A v7 id starts with its Unix millisecond (48 bits, big-endian): scoring by it makes the set's order the id order.
    private static double ScoreOf(Guid postId) => Convert.ToInt64(postId.ToString("N")[..12], 16);
}

public sealed record TimelineSlice(IReadOnlyList<Guid> PostIds, bool IsComplete);
