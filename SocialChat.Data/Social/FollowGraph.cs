using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;
using SocialChat.Data.Users;

namespace SocialChat.Data.Social;

/// <summary>
/// Follow and unfollow. The counters on users move in the same transaction as the follow row and only
/// when a row was really inserted or deleted, so they stay exact under concurrent and repeated calls; each
/// transaction holds the pair's lock (<see cref="UserPairLock"/>).
/// </summary>
public static class FollowGraph
{
    public static async Task<Result<bool>> FollowAsync(
        SocialDbContext db, Notifier notifier, Guid followerId, Guid followeeId, CancellationToken cancellationToken)
    {
        if (followerId == followeeId)
        {
            return DomainError.Invalid.Field("id", "You cannot follow yourself.");
        }

        if (!await db.Users.AnyAsync(u => u.Id == followeeId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        var allowed = await IdempotentRelation.InsertAsync(
            db,
            notifier,
            async () =>
            {
                await db.LockUserPairAsync(followerId, followeeId, cancellationToken);
                return !await db.EitherBlocksAsync(followerId, followeeId, cancellationToken);
            },
            $"INSERT INTO follows (follower_id, followee_id, created_at) VALUES ({followerId}, {followeeId}, {DateTime.UtcNow}) ON CONFLICT DO NOTHING",
            async () =>
            {
                await AdjustCountsAsync(db, followerId, followeeId, +1, cancellationToken);
                notifier.Add(NotificationKind.Follow, followeeId, followerId);
            },
            cancellationToken);
        return allowed ? true : new DomainError.Forbidden("You cannot follow this user.");
    }

    /// <summary>
    /// The follower's live presence subscription to the followee ends with the follow, unless they still share a
    /// conversation. Also when no follow was removed: a repeated call finishes what a dropped one left undone.
    /// </summary>
    public static async Task<Result<bool>> UnfollowAsync(
        SocialDbContext db, IPresenceSubscriptions presenceSubscriptions, Guid followerId, Guid followeeId, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == followeeId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUserPairAsync(followerId, followeeId, cancellationToken);
        await RemoveAsync(db, followerId, followeeId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await presenceSubscriptions.VisibilityMayHaveEndedAsync(followerId, [followeeId]);
        return true;
    }

    /// <summary>Blocking ends the follow both ways; runs inside the caller's transaction, under its lock on the pair.</summary>
    public static async Task RemoveBothWaysAsync(SocialDbContext db, Guid userA, Guid userB, CancellationToken cancellationToken)
    {
        await RemoveAsync(db, userA, userB, cancellationToken);
        await RemoveAsync(db, userB, userA, cancellationToken);
    }

    public static Task<Result<Page<UserResponse>>> ListFollowersAsync(
        SocialDbContext db, Guid userId, string? cursor, int? limit, CancellationToken cancellationToken) =>
        ListAsync(db, userId, cursor, limit, followers: true, cancellationToken);

    public static Task<Result<Page<UserResponse>>> ListFollowingAsync(
        SocialDbContext db, Guid userId, string? cursor, int? limit, CancellationToken cancellationToken) =>
        ListAsync(db, userId, cursor, limit, followers: false, cancellationToken);

    private static async Task<Result<Page<UserResponse>>> ListAsync(
        SocialDbContext db, Guid userId, string? cursor, int? limit, bool followers, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out FollowPosition? after, out var error);
        if (error is not null)
        {
            return error;
        }

        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        // Newest follow first; (createdAt, userId) is the keyset.
        var edges = followers
            ? db.Follows.Where(f => f.FolloweeId == userId).Select(f => new { f.CreatedAt, UserId = f.FollowerId })
            : db.Follows.Where(f => f.FollowerId == userId).Select(f => new { f.CreatedAt, UserId = f.FolloweeId });
        if (after is not null)
        {
            edges = edges.Where(e => e.CreatedAt < after.CreatedAt || (e.CreatedAt == after.CreatedAt && e.UserId < after.UserId));
        }

        var rows = await edges
            .OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.UserId)
            .Take(pageSize + 1)
            .Join(db.Users, e => e.UserId, u => u.Id, (e, u) => new { e.CreatedAt, User = u })
            .AsNoTracking()
            .ToListAsync(cancellationToken);

        var page = rows.Take(pageSize).ToList();
        var next = rows.Count > pageSize ? Cursor.Encode(new FollowPosition(page[^1].CreatedAt, page[^1].User.Id)) : null;
        return new Page<UserResponse>(page.Select(r => UserResponse.From(r.User)).ToList(), next);
    }

    private static async Task RemoveAsync(SocialDbContext db, Guid followerId, Guid followeeId, CancellationToken cancellationToken)
    {
        var deleted = await db.Follows
            .Where(f => f.FollowerId == followerId && f.FolloweeId == followeeId)
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted == 1)
        {
            await AdjustCountsAsync(db, followerId, followeeId, -1, cancellationToken);
            // As a like taken back (Posts.UnlikeAsync): following and unfollowing in turn notifies once, not each time.
            await db.Notifications.Where(n => n.Kind == NotificationKind.Follow && n.ActorId == followerId && n.RecipientId == followeeId)
                .ExecuteDeleteAsync(cancellationToken);
        }
    }

    private static async Task AdjustCountsAsync(SocialDbContext db, Guid followerId, Guid followeeId, int delta, CancellationToken cancellationToken)
    {
        await db.Users.Where(u => u.Id == followerId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FollowingCount, u => u.FollowingCount + delta), cancellationToken);
        await db.Users.Where(u => u.Id == followeeId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FollowerCount, u => u.FollowerCount + delta), cancellationToken);
    }

    private sealed record FollowPosition(DateTime CreatedAt, Guid UserId);
}
