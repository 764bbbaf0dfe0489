using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;

namespace SocialChat.Data.Conversations;

/// <summary>
/// Builds <see cref="ConversationResponse"/>s in three queries whatever the number of conversations:
/// the memberships with their conversations, the last messages, the unread counts.
/// </summary>
internal static class ConversationViews
{
    /// <summary>Conversations as each member sees them; <paramref name="memberships"/> decides which.</summary>
    public static async Task<List<(Guid UserId, ConversationResponse Conversation)>> LoadAsync(
        SocialDbContext db, IQueryable<ConversationMember> memberships, CancellationToken cancellationToken)
    {
        var rows = await memberships
            .Join(db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => new { Member = m, Conversation = c })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return [];
        }

        var conversationIds = rows.Select(r => r.Conversation.Id).Distinct().ToList();
        var lastMessages = await db.Messages.AsNoTracking()
            .Where(m => conversationIds.Contains(m.ConversationId) && db.Conversations.Any(c => c.Id == m.ConversationId && c.LastSeq == m.Seq))
            .ToDictionaryAsync(m => m.ConversationId, cancellationToken);

        // Unread: messages after the member's read marker that others sent and that are not deleted.
        var userIds = rows.Select(r => r.Member.UserId).Distinct().ToList();
        var unread = await db.ConversationMembers
            .Where(cm => conversationIds.Contains(cm.ConversationId) && userIds.Contains(cm.UserId))
            .Select(cm => new
            {
                cm.ConversationId,
                cm.UserId,
                Count = db.Messages.Count(m => m.ConversationId == cm.ConversationId && m.Seq > cm.LastReadSeq && m.SenderId != cm.UserId && m.DeletedAt == null),
            })
            .ToListAsync(cancellationToken);
        var unreadByMember = unread.ToDictionary(u => (u.ConversationId, u.UserId), u => u.Count);

        return [.. rows.Select(r => (r.Member.UserId, new ConversationResponse(
            r.Conversation.Id,
            r.Conversation.Kind,
            r.Conversation.Title,
            r.Conversation.MemberCount,
            lastMessages.TryGetValue(r.Conversation.Id, out var last) ? MessageResponse.From(last) : null,
            r.Conversation.LastSeq,
            r.Member.LastReadSeq,
            unreadByMember.GetValueOrDefault((r.Conversation.Id, r.Member.UserId)),
            r.Conversation.CreatedAt,
            r.Conversation.UpdatedAt)))];
    }

    public static async Task<ConversationResponse?> LoadOneAsync(SocialDbContext db, Guid conversationId, Guid userId, CancellationToken cancellationToken) =>
        (await LoadAsync(db, db.ConversationMembers.Where(m => m.ConversationId == conversationId && m.UserId == userId), cancellationToken))
        .Select(v => v.Conversation).SingleOrDefault();
}
