using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Social;

/// <summary>
/// The home timeline: my posts and those of the people I follow, posted since I followed them, newest first.
/// Candidates come from the Redis timeline (posts fanned out on write) and, for posts marked merged at read
/// (written while their author was popular), from PostgreSQL at read time; PostgreSQL then has the last word
/// on what is visible, so an unfollow, a block or a deleted post shows at once even before the timelines are cleaned.
/// </summary>
public sealed class HomeFeed(SocialDbContext db, TimelineStore timelines, IOptions<SocialOptions> options)
{
    // Candidates the last word drops (posts of someone since unfollowed) can fill a whole read: the page then reads
    // on, each time this many times further, so that a few reads get past even a full timeline of them.
    private const int ReadsPerPage = 4;
    private const int WindowGrowth = 4;

    public async Task<Result<Page<PostResponse>>> ReadAsync(Guid userId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out Guid? before, out var error);
        if (error is not null)
        {
            return error;
        }

        var authorIds = await db.Follows.Where(f => f.FollowerId == userId).Select(f => f.FolloweeId).ToListAsync(cancellationToken);
        authorIds.Add(userId);

        var page = new List<PostResponse>();
        var window = pageSize;
        for (var read = 1; ; read++)
        {
            var batch = await ReadBatchAsync(userId, authorIds, before, pageSize - page.Count, window, cancellationToken);
            page.AddRange(batch.Posts);
            before = batch.Next;
            if (before is null || page.Count == pageSize || read == ReadsPerPage)
            {
                return new Page<PostResponse>(page, before is { } next ? Cursor.Encode(next) : null);
            }

            window *= WindowGrowth;
        }
    }

    /// <summary>Everything the user may see in the feed, straight from PostgreSQL: the final filter.</summary>
    public IQueryable<Post> VisiblePosts(Guid userId) =>
        db.Posts.Where(p => p.AuthorId == userId
            || db.Follows.Any(f => f.FollowerId == userId && f.FolloweeId == p.AuthorId && f.CreatedAt <= p.CreatedAt));

    /// <summary>
    /// Up to <paramref name="take"/> visible posts older than <paramref name="before"/>, from candidates that each
    /// source gives up to <paramref name="window"/> of, and where the next read starts (null: nothing older).
    /// </summary>
    private async Task<FeedBatch> ReadBatchAsync(
        Guid userId, List<Guid> authorIds, Guid? before, int take, int window, CancellationToken cancellationToken)
    {
        var sources = new List<CandidateSource>
        {
            await FromTimelineAsync(userId, before, window, cancellationToken),
            Source(await OlderThan(MergedPosts(userId, authorIds), before).Take(window + 1).ToListAsync(cancellationToken), window),
        };

        // A source cut at the window may hold more posts just below its last one; nothing older than the
        // newest such cut may be served yet, or those posts would be skipped.
        var horizon = sources.Where(s => s.Horizon is not null).Select(s => s.Horizon!.Value).DefaultIfEmpty().Max();
        var candidateIds = sources.SelectMany(s => s.PostIds).Where(id => id >= horizon).Distinct().ToList();

        var posts = await Posts.LoadAsync(db, userId, VisiblePosts(userId).Where(p => candidateIds.Contains(p.Id)), cancellationToken);
        var served = posts.Take(take).ToList();
        if (posts.Count > take)
        {
            return new FeedBatch(served, served[^1].Id);
        }

        // Every visible candidate down to the horizon was served: the next read starts below it.
        return new FeedBatch(served, horizon != Guid.Empty ? horizon : null);
    }

    /// <summary>The posts the timeline holds (fanned out on write), straight from PostgreSQL: its rebuild and its continuation.</summary>
    private IQueryable<Post> FannedOutPosts(Guid userId) => VisiblePosts(userId).Where(p => !p.MergedAtRead);

    /// <summary>
    /// Posts merged at read, of any author followed whatever their follower count is now; the array of authors
    /// keeps this a range scan of the partial index per author, however many are followed.
    /// </summary>
    private IQueryable<Post> MergedPosts(Guid userId, List<Guid> authorIds) =>
        VisiblePosts(userId).Where(p => p.MergedAtRead && authorIds.Contains(p.AuthorId));

    private async Task<CandidateSource> FromTimelineAsync(Guid userId, Guid? before, int window, CancellationToken cancellationToken)
    {
        var slice = await timelines.ReadAsync(userId, before, window + 1);
        if (slice is null)
        {
            // Never built, expired or lost with Redis: rebuild it from PostgreSQL, then serve from it. Begun before the
            // read, so that what is fanned out while it runs lands in the timeline too.
            await timelines.BeginBuildAsync(userId);
            var newest = await FannedOutPosts(userId).OrderByDescending(p => p.Id).Select(p => p.Id)
                .Take(options.Value.TimelineCapacity).ToListAsync(cancellationToken);
            await timelines.FinishBuildAsync(userId, newest);
            slice = await timelines.ReadAsync(userId, before, window + 1)
                ?? throw new InvalidOperationException("A timeline just built could not be read back.");
        }

        if (slice.PostIds.Count > window || slice.IsComplete)
        {
            return Source(slice.PostIds, window);
        }

        // The timeline was trimmed at its capacity and this read reaches past it: continue from PostgreSQL.
        var olderThan = slice.PostIds.Count > 0 ? slice.PostIds[^1] : before;
        var older = await OlderThan(FannedOutPosts(userId), olderThan).Take(window + 1 - slice.PostIds.Count).ToListAsync(cancellationToken);
        return Source([.. slice.PostIds, .. older], window);
    }

    private static IQueryable<Guid> OlderThan(IQueryable<Post> posts, Guid? before) =>
        (before is { } beforeId ? posts.Where(p => p.Id < beforeId) : posts).OrderByDescending(p => p.Id).Select(p => p.Id);

    private static CandidateSource Source(IReadOnlyList<Guid> newestFirst, int window) =>
        new(newestFirst, newestFirst.Count > window ? newestFirst[window - 1] : null);

    private sealed record CandidateSource(IReadOnlyList<Guid> PostIds, Guid? Horizon);

    private sealed record FeedBatch(List<PostResponse> Posts, Guid? Next);
}
