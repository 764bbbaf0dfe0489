using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Users;

internal static class UserPairLock
{
    /// <summary>
    /// What is decided between two users (a follow either way, a block, their direct conversation) is decided one
    /// at a time per pair: each such transaction first locks both users' rows, in id order, until it ends. Otherwise
    /// a follow or a direct conversation checked before a block committed was written after it, and two follow
    /// counter updates in opposite orders (A following B while B follows A) deadlocked.
    /// </summary>
    public static Task LockUserPairAsync(this SocialDbContext db, Guid userA, Guid userB, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM users WHERE id IN ({userA}, {userB}) ORDER BY id FOR NO KEY UPDATE", cancellationToken);

    /// <summary>
    /// The pair's lock for what only needs no block to land between them while it runs (a like, a comment): shared, so
    /// the many likes of a popular author's posts do not wait on one another, while a block waits for them and they
    /// for a block.
    /// </summary>
    public static Task ShareUserPairLockAsync(this SocialDbContext db, Guid userA, Guid userB, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM users WHERE id IN ({userA}, {userB}) ORDER BY id FOR SHARE", cancellationToken);
}
