using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Notifications;

public static class NotificationInbox
{
    /// <summary>
    /// The caller's notifications, newest first. Ids are v7, so id order is time order. Only those whose subject the
    /// caller can still open: a message notification while they are a member of its conversation (not after they left or
    /// were removed, or the group is gone), a like, comment or mention while its post exists.
    /// </summary>
    public static async Task<Result<Page<NotificationResponse>>> ListAsync(
        SocialDbContext db, Guid userId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out Guid? before, out var error);
        if (error is not null)
        {
            return error;
        }

        var query = db.Notifications.AsNoTracking().Where(n => n.RecipientId == userId
            && (n.Kind != NotificationKind.Message || db.ConversationMembers.Any(m => m.ConversationId == n.ConversationId && m.UserId == userId))
            && (n.PostId == null || db.Posts.Any(p => p.Id == n.PostId)));
        if (before is { } beforeId)
        {
            query = query.Where(n => n.Id < beforeId);
        }

        var rows = await query
            .OrderByDescending(n => n.Id)
            .Take(pageSize + 1)
            .Join(db.Users, n => n.ActorId, u => u.Id, (n, actor) => new { Notification = n, Actor = actor })
            .ToListAsync(cancellationToken);

        var items = rows.Take(pageSize).Select(r => NotificationResponse.From(r.Notification, r.Actor)).ToList();
        return new Page<NotificationResponse>(items, rows.Count > pageSize ? Cursor.Encode(items[^1].Id) : null);
    }

    /// <summary>Marks <paramref name="upTo"/> and every older notification of the caller read.</summary>
    public static async Task<Result<bool>> MarkReadAsync(SocialDbContext db, Guid userId, Guid upTo, CancellationToken cancellationToken)
    {
        if (upTo == Guid.Empty)
        {
            return DomainError.Invalid.Field("upTo", "The upTo is required.");
        }

        if (!await db.Notifications.AnyAsync(n => n.Id == upTo && n.RecipientId == userId, cancellationToken))
        {
            return new DomainError.NotFound("Notification not found.");
        }

        var now = DateTime.UtcNow;
        await db.Notifications
            .Where(n => n.RecipientId == userId && n.Id <= upTo && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
        return true;
    }
}
