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
    public static async Task InsertAsync(
        SocialDbContext db, Notifier notifier, FormattableString insertOnConflictDoNothing, Func<Task> whenInserted, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Database.ExecuteSqlAsync(insertOnConflictDoNothing, cancellationToken) == 1)
        {
            await whenInserted();
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await notifier.PublishPendingAsync(cancellationToken);
    }
}
