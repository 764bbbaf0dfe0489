using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;

namespace SocialChat.Data.Social;

/// <summary>
/// Follows and likes: a row that exists at most once. Its side effects (a counter, a notification) run only
/// for the call that really inserted it, in the same transaction, so repeats and races keep counters exact
/// and notify once.
/// </summary>
internal static class IdempotentRelation
{
    /// <param name="mayInsert">
    /// Checked first in the same transaction, for a rule a concurrent call can change (a block): it takes the lock that
    /// keeps its answer true until the commit. False inserts nothing and is returned.
    /// </param>
    public static async Task<bool> InsertAsync(
        SocialDbContext db, Notifier notifier, Func<Task<bool>>? mayInsert, FormattableString insertOnConflictDoNothing, Func<Task> whenInserted, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (mayInsert is not null && !await mayInsert())
        {
            return false;
        }

        if (await db.Database.ExecuteSqlAsync(insertOnConflictDoNothing, cancellationToken) == 1)
        {
            await whenInserted();
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await notifier.PublishPendingAsync(cancellationToken);
        return true;
    }
}
