using Microsoft.EntityFrameworkCore;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;
using SocialChat.Data.Users;

namespace SocialChat.Data.Social;

public static class Posts
{
    public const int MaxBodyLength = 2000;
    public const int MaxCommentLength = 1000;

    // A block ends every interaction between the two, as it ends their follows and direct messages: a blocked user's
    // likes and comments would otherwise still reach the blocker as notifications. What was there before the block stays.
    private static readonly DomainError BlockedFromPost = new DomainError.Forbidden("A block stands between you and this post's author: you cannot like or comment on it.");

    /// <summary>Inside the caller's transaction, under the pair's shared lock: a block made meanwhile waits for its commit.</summary>
    private static async Task<bool> NoBlockBetweenAsync(SocialDbContext db, Guid userId, Guid authorId, CancellationToken cancellationToken)
    {
        await db.ShareUserPairLockAsync(userId, authorId, cancellationToken);
        return !await db.EitherBlocksAsync(userId, authorId, cancellationToken);
    }

    /// <summary>
    /// The post and its fan-out job commit together; the Worker delivers it to followers' timelines, and it is in the
    /// author's own at once. A popular author's post gets no job: it is merged into feeds at read time instead, and that
    /// choice, made here once, holds for the post's whole life, so no later change in the follower count leaves it on
    /// neither path.
    /// </summary>
    public static async Task<Result<PostResponse>> CreateAsync(
        SocialDbContext db, Notifier notifier, TimelineStore timelines, SocialOptions options, Guid authorId, string? body, CancellationToken cancellationToken)
    {
        var text = TextInput.Normalize(body, "body", MaxBodyLength);
        if (!text.IsSuccess)
        {
            return text.Error;
        }

        var author = await db.Users.AsNoTracking().SingleAsync(u => u.Id == authorId, cancellationToken);
        var post = new Post
        {
            AuthorId = authorId,
            Body = text.Value,
            MergedAtRead = author.FollowerCount >= options.PopularAuthorFollowerThreshold,
        };
        db.Posts.Add(post);
        if (!post.MergedAtRead)
        {
            db.FanOutJobs.Add(new FanOutJob { PostId = post.Id, AuthorId = authorId, Kind = FanOutKind.Publish });
        }

        await notifier.AddMentionsAsync(post.Body, authorId, post.Id, commentId: null, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (!post.MergedAtRead)
        {
            await timelines.AddOwnPostAsync(authorId, post.Id);
        }

        await notifier.PublishPendingAsync(cancellationToken);

        return new PostResponse(post.Id, UserResponse.From(author), post.Body, post.CreatedAt, 0, 0, LikedByMe: false);
    }

    public static async Task<Result<PostResponse>> GetAsync(SocialDbContext db, Guid viewerId, Guid postId, CancellationToken cancellationToken)
    {
        var posts = await LoadAsync(db, viewerId, db.Posts.Where(p => p.Id == postId), cancellationToken);
        return posts.Count == 1 ? posts[0] : new DomainError.NotFound("Post not found.");
    }

    /// <summary>Deleting removes the row at once (every feed read filters by it) and queues removal from the timelines it was fanned out to.</summary>
    public static async Task<Result<bool>> DeleteAsync(SocialDbContext db, Guid userId, Guid postId, CancellationToken cancellationToken)
    {
        var post = await db.Posts.AsNoTracking().SingleOrDefaultAsync(p => p.Id == postId, cancellationToken);
        if (post is null)
        {
            return new DomainError.NotFound("Post not found.");
        }

        if (post.AuthorId != userId)
        {
            return new DomainError.Forbidden("Only the author can delete a post.");
        }

        // By a statement that counts what it deleted: a second delete of the same post at the same moment (a double tap,
        // a retry) finds it gone, as one made after it does, and queues no second retraction.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Posts.Where(p => p.Id == postId).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return new DomainError.NotFound("Post not found.");
        }

        if (!post.MergedAtRead)
        {
            db.FanOutJobs.Add(new FanOutJob { PostId = post.Id, AuthorId = post.AuthorId, Kind = FanOutKind.Retract });
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public static async Task<Result<Page<PostResponse>>> ListByAuthorAsync(
        SocialDbContext db, Guid viewerId, Guid authorId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out Guid? before, out var error);
        if (error is not null)
        {
            return error;
        }

        if (!await db.Users.AnyAsync(u => u.Id == authorId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        var query = db.Posts.Where(p => p.AuthorId == authorId);
        if (before is { } beforeId)
        {
            query = query.Where(p => p.Id < beforeId);
        }

        var posts = await LoadAsync(db, viewerId, query.OrderByDescending(p => p.Id).Take(pageSize + 1), cancellationToken);
        return ToPage(posts, pageSize);
    }

    public static async Task<Result<bool>> LikeAsync(
        SocialDbContext db, Notifier notifier, Guid userId, Guid postId, CancellationToken cancellationToken)
    {
        var authorId = await db.Posts.Where(p => p.Id == postId).Select(p => (Guid?)p.AuthorId).SingleOrDefaultAsync(cancellationToken);
        if (authorId is null)
        {
            return new DomainError.NotFound("Post not found.");
        }

        try
        {
            var allowed = await IdempotentRelation.InsertAsync(
                db,
                notifier,
                () => NoBlockBetweenAsync(db, userId, authorId.Value, cancellationToken),
                $"INSERT INTO post_likes (post_id, user_id, created_at) VALUES ({postId}, {userId}, {DateTime.UtcNow}) ON CONFLICT DO NOTHING",
                async () =>
                {
                    await db.Posts.Where(p => p.Id == postId)
                        .ExecuteUpdateAsync(s => s.SetProperty(p => p.LikeCount, p => p.LikeCount + 1), cancellationToken);
                    notifier.Add(NotificationKind.Like, authorId.Value, userId, postId);
                },
                cancellationToken);
            return allowed ? true : BlockedFromPost;
        }
        catch (PostgresException exception) when (IsPostDeletedMeanwhile(exception))
        {
            return new DomainError.NotFound("Post not found.");
        }
    }

    public static async Task<Result<bool>> UnlikeAsync(SocialDbContext db, Guid userId, Guid postId, CancellationToken cancellationToken)
    {
        if (!await db.Posts.AnyAsync(p => p.Id == postId, cancellationToken))
        {
            return new DomainError.NotFound("Post not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deleted = await db.PostLikes.Where(l => l.PostId == postId && l.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 1)
        {
            await db.Posts.Where(p => p.Id == postId)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.LikeCount, p => p.LikeCount - 1), cancellationToken);
            // A like taken back goes from the author's notifications with it, so that liking and unliking in turn leaves
            // one notification in their list, not one per like.
            await db.Notifications.Where(n => n.Kind == NotificationKind.Like && n.ActorId == userId && n.PostId == postId).ExecuteDeleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public static async Task<Result<CommentResponse>> CommentAsync(
        SocialDbContext db, Notifier notifier, Guid userId, Guid postId, string? body, CancellationToken cancellationToken)
    {
        var text = TextInput.Normalize(body, "body", MaxCommentLength);
        if (!text.IsSuccess)
        {
            return text.Error;
        }

        var authorId = await db.Posts.Where(p => p.Id == postId).Select(p => (Guid?)p.AuthorId).SingleOrDefaultAsync(cancellationToken);
        if (authorId is null)
        {
            return new DomainError.NotFound("Post not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await NoBlockBetweenAsync(db, userId, authorId.Value, cancellationToken))
        {
            return BlockedFromPost;
        }

        var comment = new Comment { PostId = postId, AuthorId = userId, Body = text.Value };
        db.Comments.Add(comment);
        notifier.Add(NotificationKind.Comment, authorId.Value, userId, postId, comment.Id);
        await notifier.AddMentionsAsync(comment.Body, userId, postId, comment.Id, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException inner && IsPostDeletedMeanwhile(inner))
        {
            return new DomainError.NotFound("Post not found.");
        }

        await db.Posts.Where(p => p.Id == postId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.CommentCount, p => p.CommentCount + 1), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await notifier.PublishPendingAsync(cancellationToken);

        var commenter = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, cancellationToken);
        return new CommentResponse(comment.Id, postId, UserResponse.From(commenter), comment.Body, comment.CreatedAt);
    }

    /// <summary>A post's comments, oldest first.</summary>
    public static async Task<Result<Page<CommentResponse>>> ListCommentsAsync(
        SocialDbContext db, Guid postId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out Guid? after, out var error);
        if (error is not null)
        {
            return error;
        }

        if (!await db.Posts.AnyAsync(p => p.Id == postId, cancellationToken))
        {
            return new DomainError.NotFound("Post not found.");
        }

        var query = db.Comments.Where(c => c.PostId == postId);
        if (after is { } afterId)
        {
            query = query.Where(c => c.Id > afterId);
        }

        var rows = await query
            .OrderBy(c => c.Id)
            .Take(pageSize + 1)
            .Join(db.Users, c => c.AuthorId, u => u.Id, (c, u) => new { Comment = c, Author = u })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        var items = rows.Take(pageSize)
            .Select(r => new CommentResponse(r.Comment.Id, postId, UserResponse.From(r.Author), r.Comment.Body, r.Comment.CreatedAt))
            .ToList();
        return new Page<CommentResponse>(items, rows.Count > pageSize ? Cursor.Encode(items[^1].Id) : null);
    }

    /// <summary>Posts as the viewer sees them (author, counters, likedByMe), newest first.</summary>
    internal static async Task<List<PostResponse>> LoadAsync(
        SocialDbContext db, Guid viewerId, IQueryable<Post> posts, CancellationToken cancellationToken)
    {
        var rows = await posts
            .Join(db.Users, p => p.AuthorId, u => u.Id, (p, u) => new
            {
                Post = p,
                Author = u,
                LikedByMe = db.PostLikes.Any(l => l.PostId == p.Id && l.UserId == viewerId),
            })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        return rows
            .OrderByDescending(r => r.Post.Id)
            .Select(r => new PostResponse(r.Post.Id, UserResponse.From(r.Author), r.Post.Body, r.Post.CreatedAt, r.Post.LikeCount, r.Post.CommentCount, r.LikedByMe))
            .ToList();
    }

    /// <summary>
    /// The post was there when looked up and deleted before the like or comment referencing it was inserted: the
    /// foreign key refuses the insert, and the caller gets what it would have a moment later, a 404.
    /// </summary>
    private static bool IsPostDeletedMeanwhile(PostgresException exception) =>
        exception.SqlState == PostgresErrorCodes.ForeignKeyViolation && exception.ConstraintName?.Contains("posts_post_id", StringComparison.Ordinal) == true;

    internal static Page<PostResponse> ToPage(List<PostResponse> posts, int pageSize) =>
        new(posts.Take(pageSize).ToList(), posts.Count > pageSize ? Cursor.Encode(posts[pageSize - 1].Id) : null);
}
