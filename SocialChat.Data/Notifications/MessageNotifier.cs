using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Realtime;

namespace SocialChat.Data.Notifications;

/// <summary>
/// A <c>message</c> notification for each member of these conversations who has unread messages from someone else (as
/// <c>unreadCount</c> counts them: not deleted) and no live connection on any node: a member who is online gets the
/// messages themselves. Its actor is the sender of the conversation's latest message. A member holds at most one unread
/// message notification per conversation (a unique partial index), so a busy group does not fill an inbox and two
/// Workers side by side cannot write one twice; once they read it, or the conversation, the next message notifies them
/// again. None in a direct conversation whose two members a block separates (the one sent before the block included):
/// the notification would come from someone the recipient blocked, or who blocked them.
/// </summary>
public sealed class MessageNotifier(SocialDbContext db, PresenceTracker presence)
{
    /// <summary>Returns how many notifications were written.</summary>
    public async Task<int> NotifyOfflineMembersAsync(IReadOnlyCollection<Guid> conversationIds, CancellationToken cancellationToken)
    {
        var conversations = conversationIds.ToArray();
        var unread = await db.Database.SqlQuery<UnreadMember>($"""
            SELECT m.user_id AS recipient_id, c.id AS conversation_id, latest.sender_id AS actor_id
            FROM conversations AS c
            JOIN messages AS latest ON latest.conversation_id = c.id AND latest.seq = c.last_seq
            JOIN conversation_members AS m ON m.conversation_id = c.id
            WHERE c.id = ANY({conversations}) AND m.last_read_seq < c.last_seq AND m.user_id <> latest.sender_id
              AND EXISTS (
                  SELECT 1 FROM messages AS x
                  WHERE x.conversation_id = c.id AND x.seq > m.last_read_seq AND x.sender_id <> m.user_id AND x.deleted_at IS NULL)
              AND NOT EXISTS (
                  SELECT 1 FROM notifications AS n
                  WHERE n.recipient_id = m.user_id AND n.conversation_id = c.id AND n.kind = 'Message' AND n.read_at IS NULL)
              AND NOT (c.kind = 'Direct' AND EXISTS (
                  SELECT 1 FROM blocks AS b
                  WHERE (b.blocker_id = m.user_id AND b.blocked_id = latest.sender_id)
                     OR (b.blocker_id = latest.sender_id AND b.blocked_id = m.user_id)))
            """).ToListAsync(cancellationToken);
        if (unread.Count == 0)
        {
            return 0;
        }

        var online = await presence.OnlineAmongAsync(unread.Select(u => u.RecipientId).Distinct());
        var offline = unread.Where(u => !online.Contains(u.RecipientId)).ToList();
        if (offline.Count == 0)
        {
            return 0;
        }

        // Ids are v7 (the inbox's order is id order), so they are made here. The read marker is checked again: a member
        // who read the conversation since the query above is not told of what they just read.
        var ids = offline.Select(_ => Guid.CreateVersion7()).ToArray();
        var recipients = offline.Select(u => u.RecipientId).ToArray();
        var conversationOf = offline.Select(u => u.ConversationId).ToArray();
        var actors = offline.Select(u => u.ActorId).ToArray();
        return await db.Database.ExecuteSqlAsync($"""
            INSERT INTO notifications (id, recipient_id, kind, actor_id, conversation_id, created_at)
            SELECT o.id, o.recipient_id, 'Message', o.actor_id, o.conversation_id, now()
            FROM unnest({ids}, {recipients}, {conversationOf}, {actors}) AS o(id, recipient_id, conversation_id, actor_id)
            JOIN conversation_members AS m ON m.conversation_id = o.conversation_id AND m.user_id = o.recipient_id
            JOIN conversations AS c ON c.id = o.conversation_id
            WHERE m.last_read_seq < c.last_seq
            ON CONFLICT (recipient_id, conversation_id) WHERE kind = 'Message' AND read_at IS NULL DO NOTHING
            """, cancellationToken);
    }

    private sealed record UnreadMember(Guid RecipientId, Guid ConversationId, Guid ActorId);
}
