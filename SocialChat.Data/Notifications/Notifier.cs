using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Users;

namespace SocialChat.Data.Notifications;

/// <summary>
/// Writes notifications in the caller's unit of work and pushes them once that work is committed: a push
/// never announces something that could still roll back. Nobody is notified of their own actions, nor of those of
/// someone a block separates them from (mentions are left out here; likes, comments and follows are refused).
/// </summary>
public sealed partial class Notifier(SocialDbContext db, INotificationPublisher publisher)
{
    private readonly List<Notification> _pending = [];

    public void Add(NotificationKind kind, Guid recipientId, Guid actorId, Guid? postId = null, Guid? commentId = null, Guid? conversationId = null)
    {
        if (recipientId == actorId)
        {
            return;
        }

        var notification = new Notification
        {
            Kind = kind,
            RecipientId = recipientId,
            ActorId = actorId,
            PostId = postId,
            CommentId = commentId,
            ConversationId = conversationId,
        };
        db.Notifications.Add(notification);
        _pending.Add(notification);
    }

    /// <summary>A mention notification for every existing user named as @username in the text, but those a block separates from the actor.</summary>
    public async Task AddMentionsAsync(string text, Guid actorId, Guid postId, Guid? commentId, CancellationToken cancellationToken)
    {
        var usernames = MentionPattern().Matches(text).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct().Take(MaxMentions).ToList();
        if (usernames.Count == 0)
        {
            return;
        }

        var separated = db.SeparatedFrom(actorId);
        var mentioned = await db.Users
            .Where(u => usernames.Contains(u.Username) && !separated.Contains(u.Id))
            .Select(u => u.Id)
            .ToListAsync(cancellationToken);
        foreach (var userId in mentioned)
        {
            Add(NotificationKind.Mention, userId, actorId, postId, commentId);
        }
    }

    /// <summary>Pushes what <see cref="Add"/> collected; call after SaveChanges/commit.</summary>
    public async Task PublishPendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var actorIds = _pending.Select(n => n.ActorId).Distinct().ToList();
        var actors = await db.Users.AsNoTracking().Where(u => actorIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
        foreach (var notification in _pending)
        {
            await publisher.PublishAsync(notification.RecipientId, NotificationResponse.From(notification, actors[notification.ActorId]), cancellationToken);
        }

        _pending.Clear();
    }

    // Bounded so one post cannot notify the whole user base.
    private const int MaxMentions = 20;

    [GeneratedRegex(@"(?<![\w@])@([A-Za-z0-9_]{3,32})\b")]
    private static partial Regex MentionPattern();
}
