using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;
using SocialChat.Data.Users;

namespace SocialChat.Data.Messages;

/// <summary>
/// Sending, editing, deleting and reading messages: the one implementation behind both the REST door and
/// the hub. A message is committed before anyone is told of it.
/// </summary>
public sealed class Messages(SocialDbContext db, IConversationEvents events, MessageCommitter committer, MessageNotificationQueue notificationQueue)
{
    public const int MaxBodyLength = 4000;

    internal static readonly DomainError ConversationNotFound = new DomainError.NotFound("Conversation not found.");

    internal static readonly DomainError ReplyNotInConversation = DomainError.Invalid.Field("replyToSeq", "replyToSeq must be the seq of a message in this conversation.");

    internal static readonly DomainError BlockedBetweenMembers = new DomainError.Forbidden("You cannot message this user.");

    /// <summary>
    /// Checks the send's input, then hands it to <see cref="MessageCommitter"/>, which checks the rest (member, reply,
    /// blocks) and stores it in a commit shared with the sends waiting beside it, assigning its seq there. The same
    /// clientMessageId from the same sender returns the message stored the first time, also when both requests race
    /// (the committer finds it under the conversation's lock). Members hear of the message only after its commit.
    /// </summary>
    public async Task<Result<SentMessage>> SendAsync(Guid senderId, Guid conversationId, SendMessageRequest request, CancellationToken cancellationToken)
    {
        if (request.ClientMessageId == Guid.Empty)
        {
            return DomainError.Invalid.Field("clientMessageId", "A client-made UUID is required, so a retried send is not stored twice.");
        }

        var body = TextInput.Normalize(request.Body, "body", MaxBodyLength);
        if (!body.IsSuccess)
        {
            return body.Error;
        }

        if (request.ReplyToSeq is < 1)
        {
            return ReplyNotInConversation;
        }

        var stored = await committer.StoreAsync(
            new NewMessage(conversationId, senderId, request.ClientMessageId, body.Value, request.ReplyToSeq), cancellationToken);
        if (stored.IsSuccess && stored.Value.Created)
        {
            SocialChatMetrics.MessagesSent.Add(1);
            await events.MessageReceivedAsync(stored.Value.Message);
            notificationQueue.Enqueue(conversationId);
        }

        return stored;
    }

    public async Task<Result<MessageResponse>> EditAsync(Guid userId, Guid conversationId, long seq, EditMessageRequest request, CancellationToken cancellationToken)
    {
        var body = TextInput.Normalize(request.Body, "body", MaxBodyLength);
        if (!body.IsSuccess)
        {
            return body.Error;
        }

        var message = await FindForChangeAsync(userId, conversationId, seq, cancellationToken);
        if (!message.IsSuccess)
        {
            return message.Error;
        }

        var target = message.Value.Message;
        if (target.SenderId != userId)
        {
            return new DomainError.Forbidden("Only the sender can edit a message.");
        }

        // An edit reaches the other member as a send does (MessageEdited, live): across a block it would be a way round
        // it. Deleting stays open, as taking back what one wrote.
        if (message.Value.Kind == ConversationKind.Direct && await IsBlockedFromDirectAsync(userId, conversationId, cancellationToken))
        {
            return BlockedBetweenMembers;
        }

        var editedAt = DateTime.UtcNow;
        var revision = await ChangeUndeletedAsync(target, s => s.SetProperty(m => m.Body, body.Value).SetProperty(m => m.EditedAt, editedAt), cancellationToken);
        if (!revision.IsSuccess)
        {
            return revision.Error;
        }

        if (revision.Value is not { } edit)
        {
            return new DomainError.Conflict("A deleted message cannot be edited.");
        }

        var edited = MessageResponse.From(target) with { Body = body.Value, EditedAt = editedAt, Revision = edit };
        await events.MessageEditedAsync(edited);
        return edited;
    }

    /// <summary>By the sender, or a group owner/admin. Leaves a tombstone, so seq keeps no gap; deleting twice is fine.</summary>
    public async Task<Result<bool>> DeleteAsync(Guid userId, Guid conversationId, long seq, CancellationToken cancellationToken)
    {
        var message = await FindForChangeAsync(userId, conversationId, seq, cancellationToken);
        if (!message.IsSuccess)
        {
            return message.Error;
        }

        var (target, role, kind) = message.Value;
        if (target.SenderId != userId && !(kind == ConversationKind.Group && role is MemberRole.Owner or MemberRole.Admin))
        {
            return new DomainError.Forbidden("Only the sender, or a group owner or admin, can delete a message.");
        }

        // Whoever deletes first tells the members; a repeated or concurrent delete changes nothing and is still a success.
        var revision = await ChangeUndeletedAsync(target, s => s.SetProperty(m => m.Body, (string?)null).SetProperty(m => m.DeletedAt, DateTime.UtcNow), cancellationToken);
        if (!revision.IsSuccess)
        {
            return revision.Error;
        }

        if (revision.Value is { } deletion)
        {
            await events.MessageDeletedAsync(conversationId, seq, deletion);
        }

        return true;
    }

    /// <summary>
    /// Applies an edit or deletion to a message that is not deleted, checked by the write itself (a delete committed
    /// since the message was read must not get its body back), and stamps it with the conversation's next revision.
    /// The revision is taken first, under the conversation's row lock, which sends take too: changes commit in the
    /// order of their revisions, so a client reading changedAfter never passes one still to commit. Null when the
    /// message was deleted: the transaction is rolled back and the revision is not spent, so revisions keep no gaps.
    /// Not found when the conversation went (its last member left) since the message was read.
    /// </summary>
    private async Task<Result<long?>> ChangeUndeletedAsync(Message message, Action<UpdateSettersBuilder<Message>> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var taken = await db.Database.SqlQuery<long>($"""
            UPDATE conversations SET last_revision = last_revision + 1 WHERE id = {message.ConversationId} RETURNING last_revision AS "Value"
            """).ToListAsync(cancellationToken);
        if (taken is not [var revision])
        {
            return ConversationNotFound;
        }

        var changed = await db.Messages.Where(m => m.Id == message.Id && m.DeletedAt == null)
            .ExecuteUpdateAsync(
                s =>
                {
                    change(s);
                    s.SetProperty(m => m.Revision, revision);
                },
                cancellationToken);
        if (changed == 0)
        {
            return (long?)null;
        }

        await transaction.CommitAsync(cancellationToken);
        return revision;
    }

    /// <summary>
    /// <c>before</c>: newest first below that seq (the default, from the newest). <c>after</c>: oldest first
    /// above it — the catch-up after a reconnect. <c>changedAfter</c>: the messages edited or deleted after that
    /// revision, in the order of their changes — the catch-up of changes to messages a client already holds.
    /// <c>cursor</c> is a previous page's nextCursor, given instead of the others: it carries the kind and the seq or
    /// revision to continue from. nextCursor is null when the page reached the end in its direction.
    /// </summary>
    public async Task<Result<Page<MessageResponse>>> HistoryAsync(
        Guid userId, Guid conversationId, HistoryRange range, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out HistoryRange? position, out var error);
        if (error is not null)
        {
            return error;
        }

        if (position is not null)
        {
            if (range.Given > 0)
            {
                return DomainError.Invalid.Field("cursor", "Give a cursor, or before, after or changedAfter, not both.");
            }

            if (position.Given != 1)
            {
                return DomainError.Invalid.Field("cursor", "The cursor is not valid; pass back a nextCursor exactly as it was given.");
            }

            range = position;
        }

        var field = range.Before is not null ? "before" : range.After is not null ? "after" : "changedAfter";
        if (range.Given > 1)
        {
            return DomainError.Invalid.Field(field, "Give one of before, after and changedAfter, not several.");
        }

        if (range.Before is < 1 || range.After is < 0 || range.ChangedAfter is < 0)
        {
            return DomainError.Invalid.Field(field, "before must be at least 1, after and changedAfter at least 0.");
        }

        if (!await db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId && m.UserId == userId, cancellationToken))
        {
            return ConversationNotFound;
        }

        var inConversation = db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId);
        var page = range switch
        {
            { After: { } afterSeq } => inConversation.Where(m => m.Seq > afterSeq).OrderBy(m => m.Seq),
            // Revision > 0 said outright, so that the partial index of changed messages is taken whatever the parameter.
            { ChangedAfter: { } revision } => inConversation.Where(m => m.Revision > 0 && m.Revision > revision).OrderBy(m => m.Revision),
            { Before: var beforeSeq } => inConversation.Where(m => beforeSeq == null || m.Seq < beforeSeq).OrderByDescending(m => m.Seq),
        };
        var rows = await page.Take(pageSize + 1).ToListAsync(cancellationToken);

        var items = rows.Take(pageSize).Select(MessageResponse.From).ToList();
        string? next = null;
        if (rows.Count > pageSize)
        {
            next = Cursor.Encode(range switch
            {
                { After: not null } => new HistoryRange(After: items[^1].Seq),
                { ChangedAfter: not null } => new HistoryRange(ChangedAfter: items[^1].Revision),
                _ => new HistoryRange(Before: items[^1].Seq),
            });
        }

        return new Page<MessageResponse>(items, next);
    }

    /// <summary>The read marker only moves forward and never past the last message; others get a receipt when it moved.</summary>
    public async Task<Result<bool>> MarkReadAsync(Guid userId, Guid conversationId, long seq, CancellationToken cancellationToken)
    {
        if (seq < 0)
        {
            return DomainError.Invalid.Field("seq", "seq must not be negative.");
        }

        if (!await db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId && m.UserId == userId, cancellationToken))
        {
            return ConversationNotFound;
        }

        // Reading the conversation also reads its message notification, so the next message notifies again.
        var marker = await db.Database.SqlQuery<long>($"""
            WITH notification_read AS (
                UPDATE notifications SET read_at = now()
                WHERE recipient_id = {userId} AND conversation_id = {conversationId} AND kind = 'Message' AND read_at IS NULL)
            UPDATE conversation_members AS m
            SET last_read_seq = LEAST({seq}, c.last_seq)
            FROM conversations AS c
            WHERE c.id = m.conversation_id AND m.conversation_id = {conversationId} AND m.user_id = {userId}
              AND m.last_read_seq < LEAST({seq}, c.last_seq)
            RETURNING m.last_read_seq AS "Value"
            """).ToListAsync(cancellationToken);
        if (marker.Count == 1)
        {
            await events.ReadReceiptAsync(conversationId, userId, marker[0]);
        }

        return true;
    }

    /// <summary>Whether a block stands between the user and the other member of this direct conversation.</summary>
    private Task<bool> IsBlockedFromDirectAsync(Guid userId, Guid conversationId, CancellationToken cancellationToken) =>
        db.ConversationMembers.AnyAsync(
            m => m.ConversationId == conversationId && m.UserId != userId && db.SeparatedFrom(userId).Contains(m.UserId), cancellationToken);

    private async Task<Result<(Message Message, MemberRole Role, ConversationKind Kind)>> FindForChangeAsync(
        Guid userId, Guid conversationId, long seq, CancellationToken cancellationToken)
    {
        var membership = await Membership.FindAsync(db, userId, conversationId, cancellationToken);
        if (membership is null)
        {
            return ConversationNotFound;
        }

        var message = await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ConversationId == conversationId && m.Seq == seq, cancellationToken);
        return message is null ? new DomainError.NotFound("Message not found.") : (message, membership.Value.Role, membership.Value.Kind);
    }
}
