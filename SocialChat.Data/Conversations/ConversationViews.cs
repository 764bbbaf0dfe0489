using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;

namespace SocialChat.Data.Conversations;

/// <summary>
/// Conversations as each member sees them, in ONE query whatever their number: the membership, the
/// conversation, its last message, the direct peer's name and the member's unread count side by side.
/// </summary>
internal static class ConversationViews
{
    /// <summary>
    /// One row per membership in <paramref name="memberships"/>, which should already be the rows wanted (a
    /// page, one member): the last message, peer name and unread count are computed for each of them.
    /// </summary>
    public static IQueryable<ConversationView> Of(SocialDbContext db, IQueryable<ConversationMember> memberships) =>
        memberships
            .Join(db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => new { Member = m, Conversation = c })
            // By its key (conversation, last seq): one index probe per conversation, however long the history.
            .LeftJoin(
                db.Messages,
                r => new { ConversationId = r.Conversation.Id, Seq = r.Conversation.LastSeq },
                m => new { m.ConversationId, m.Seq },
                (r, last) => new ConversationView
                {
                    Member = r.Member,
                    Conversation = r.Conversation,
                    LastMessage = last,
                    DirectPeerName = r.Conversation.Kind == ConversationKind.Direct
                        ? db.ConversationMembers
                            .Where(other => other.ConversationId == r.Conversation.Id && other.UserId != r.Member.UserId)
                            .Join(db.Users, other => other.UserId, u => u.Id, (_, u) => u.DisplayName)
                            .FirstOrDefault()
                        : null,
                    // Unread: messages after the member's read marker that others sent and that are not deleted
                    // (a tombstone has nothing left to read; one's own messages are never unread).
                    UnreadCount = db.Messages.Count(m =>
                        m.ConversationId == r.Member.ConversationId && m.Seq > r.Member.LastReadSeq
                        && m.SenderId != r.Member.UserId && m.DeletedAt == null),
                });

    /// <summary>Conversations as each member sees them; <paramref name="memberships"/> decides which.</summary>
    public static async Task<List<(Guid UserId, ConversationResponse Conversation)>> LoadAsync(
        SocialDbContext db, IQueryable<ConversationMember> memberships, CancellationToken cancellationToken) =>
        [.. (await Of(db, memberships).AsNoTracking().ToListAsync(cancellationToken)).Select(v => (v.Member.UserId, v.ToResponse()))];

    public static async Task<ConversationResponse?> LoadOneAsync(SocialDbContext db, Guid conversationId, Guid userId, CancellationToken cancellationToken) =>
        (await Of(db, db.ConversationMembers.Where(m => m.ConversationId == conversationId && m.UserId == userId))
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken))?.ToResponse();
}

/// <summary>A settable shape (not a positional record) so EF can keep composing queries over it.</summary>
internal sealed class ConversationView
{
    public required ConversationMember Member { get; init; }

    public required Conversation Conversation { get; init; }

    public Message? LastMessage { get; init; }

    public string? DirectPeerName { get; init; }

    public int UnreadCount { get; init; }

    /// <summary>A direct conversation has no title of its own: it is titled with the other member's display name.</summary>
    public ConversationResponse ToResponse() => new(
        Conversation.Id,
        Conversation.Kind,
        Conversation.Kind == ConversationKind.Direct ? DirectPeerName : Conversation.Title,
        Conversation.MemberCount,
        LastMessage is null ? null : MessageResponse.From(LastMessage),
        Conversation.LastSeq,
        Conversation.LastRevision,
        Member.LastReadSeq,
        UnreadCount,
        Conversation.CreatedAt,
        Conversation.UpdatedAt);
}
