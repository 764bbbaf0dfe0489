using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Users;

namespace SocialChat.Data.Conversations;

/// <summary>
/// Direct and group conversations and their members: one method per use case. A conversation the caller
/// is not a member of does not exist for them (404), whatever they try.
/// </summary>
public sealed class Conversations(SocialDbContext db, IConversationEvents events, IOptions<ConversationOptions> options)
{
    public const int MaxTitleLength = 100;

    private static readonly DomainError NotFound = new DomainError.NotFound("Conversation not found.");

    /// <summary>Exactly one per pair, even when both open it at once: the pair's lock makes the second wait for the first's.</summary>
    public async Task<Result<(ConversationResponse Conversation, bool Created)>> OpenDirectAsync(Guid userId, Guid otherUserId, CancellationToken cancellationToken)
    {
        if (otherUserId == Guid.Empty)
        {
            return DomainError.Invalid.Field("userId", "The userId is required.");
        }

        if (otherUserId == userId)
        {
            return DomainError.Invalid.Field("userId", "A direct conversation needs another user.");
        }

        if (!await db.Users.AnyAsync(u => u.Id == otherUserId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUserPairAsync(userId, otherUserId, cancellationToken);
        if (await db.EitherBlocksAsync(userId, otherUserId, cancellationToken))
        {
            return new DomainError.Forbidden("You cannot message this user.");
        }

        var directKey = DirectKeyOf(userId, otherUserId);
        if (await FindDirectAsync(directKey, userId, cancellationToken) is { } existing)
        {
            return (existing, false);
        }

        var conversation = new Conversation { Kind = ConversationKind.Direct, DirectKey = directKey, MemberCount = 2 };
        db.Conversations.Add(conversation);
        db.ConversationMembers.AddRange(
            new ConversationMember { ConversationId = conversation.Id, UserId = userId, Role = MemberRole.Member },
            new ConversationMember { ConversationId = conversation.Id, UserId = otherUserId, Role = MemberRole.Member });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await events.MembershipChangedAsync(conversation.Id, [userId, otherUserId], []);
        return (await ViewAsync(conversation.Id, userId, cancellationToken), true);
    }

    public async Task<Result<ConversationResponse>> CreateGroupAsync(Guid ownerId, CreateGroupRequest request, CancellationToken cancellationToken)
    {
        var title = TitleOf(request.Title);
        if (!title.IsSuccess)
        {
            return title.Error;
        }

        if (request.MemberIds is null)
        {
            return DomainError.Invalid.Field("memberIds", "memberIds is required; give [] for a group of one.");
        }

        var memberIds = request.MemberIds.Where(id => id != ownerId).Distinct().ToList();
        if (memberIds.Count + 1 > options.Value.MaxGroupMembers)
        {
            return DomainError.Invalid.Field("memberIds", $"A group has at most {options.Value.MaxGroupMembers} members.");
        }

        if (await UnknownUsersAsync("memberIds", memberIds, cancellationToken) is { } unknown)
        {
            return unknown;
        }

        var conversation = new Conversation { Kind = ConversationKind.Group, Title = title.Value, MemberCount = memberIds.Count + 1 };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Conversations.Add(conversation);
        db.ConversationMembers.Add(new ConversationMember { ConversationId = conversation.Id, UserId = ownerId, Role = MemberRole.Owner });
        await db.SaveChangesAsync(cancellationToken);
        await InsertMembersAsync(conversation.Id, [.. memberIds], readUpTo: 0, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await events.MembershipChangedAsync(conversation.Id, [ownerId, .. memberIds], []);
        return await ViewAsync(conversation.Id, ownerId, cancellationToken);
    }

    /// <summary>My conversations, most recent activity first.</summary>
    public async Task<Result<Page<ConversationResponse>>> ListAsync(Guid userId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out ActivityPosition? after, out var error);
        if (error is not null)
        {
            return error;
        }

        // The page is chosen from the memberships and their activity alone; only its rows then pay for the
        // last message, the peer's name and the unread count.
        var mine = db.ConversationMembers.Where(m => m.UserId == userId)
            .Join(db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => new { Member = m, c.UpdatedAt, c.Id });
        if (after is not null)
        {
            mine = mine.Where(r => r.UpdatedAt < after.UpdatedAt || (r.UpdatedAt == after.UpdatedAt && r.Id < after.Id));
        }

        var page = mine.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id).Take(pageSize + 1).Select(r => r.Member);
        var rows = await ConversationViews.Of(db, page)
            .OrderByDescending(v => v.Conversation.UpdatedAt).ThenByDescending(v => v.Conversation.Id)
            .AsNoTracking().ToListAsync(cancellationToken);
        var views = rows.Take(pageSize).Select(v => v.ToResponse()).ToList();
        var next = rows.Count > pageSize ? Cursor.Encode(new ActivityPosition { UpdatedAt = views[^1].UpdatedAt, Id = views[^1].Id }) : null;
        return new Page<ConversationResponse>(views, next);
    }

    public async Task<Result<ConversationResponse>> GetAsync(Guid userId, Guid conversationId, CancellationToken cancellationToken) =>
        await ConversationViews.LoadOneAsync(db, conversationId, userId, cancellationToken) is { } view ? view : NotFound;

    public async Task<Result<ConversationResponse>> RenameAsync(Guid userId, Guid conversationId, RenameRequest request, CancellationToken cancellationToken)
    {
        var title = TitleOf(request.Title);
        if (!title.IsSuccess)
        {
            return title.Error;
        }

        var access = await GroupAccessAsync(userId, conversationId, MemberRole.Admin, cancellationToken);
        if (access is not null)
        {
            return access;
        }

        await db.Conversations.Where(c => c.Id == conversationId).ExecuteUpdateAsync(s => s.SetProperty(c => c.Title, title.Value), cancellationToken);
        await events.ConversationChangedAsync(conversationId, await MemberIdsAsync(conversationId, cancellationToken));
        // Removed meanwhile (by the owner, or by leaving on another device), the caller may no longer see the group.
        return await ConversationViews.LoadOneAsync(db, conversationId, userId, cancellationToken) is { } view ? view : NotFound;
    }

    public async Task<Result<bool>> AddMembersAsync(Guid userId, Guid conversationId, AddMembersRequest request, CancellationToken cancellationToken)
    {
        var access = await GroupAccessAsync(userId, conversationId, MemberRole.Admin, cancellationToken);
        if (access is not null)
        {
            return access;
        }

        var userIds = (request.UserIds ?? []).Distinct().ToArray();
        if (userIds.Length == 0)
        {
            return DomainError.Invalid.Field("userIds", "Name at least one user to add.");
        }

        if (userIds.Length >= options.Value.MaxGroupMembers)
        {
            return DomainError.Invalid.Field("userIds", $"A group has at most {options.Value.MaxGroupMembers} members.");
        }

        if (await UnknownUsersAsync("userIds", userIds, cancellationToken) is { } unknown)
        {
            return unknown;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await LockForMemberChangeAsync(conversationId, cancellationToken) is not { } conversation)
        {
            return NotFound;
        }

        var added = await InsertMembersAsync(conversationId, userIds, readUpTo: conversation.LastSeq, cancellationToken);
        if (conversation.MemberCount + added.Count > options.Value.MaxGroupMembers)
        {
            await transaction.RollbackAsync(cancellationToken);
            return DomainError.Invalid.Field("userIds", $"A group has at most {options.Value.MaxGroupMembers} members.");
        }

        await db.Conversations.Where(c => c.Id == conversationId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.MemberCount, c => c.MemberCount + added.Count), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (added.Count > 0)
        {
            await events.MembershipChangedAsync(conversationId, added, []);
        }

        return true;
    }

    /// <summary>
    /// Owner/admin remove others (an admin only plain members); anyone may remove themself (leave). When the
    /// owner leaves, the longest-standing admin, else member, becomes owner; when the last member leaves, the group is
    /// deleted with its messages.
    /// </summary>
    public async Task<Result<bool>> RemoveMemberAsync(Guid userId, Guid conversationId, Guid memberId, CancellationToken cancellationToken)
    {
        var caller = await Membership.FindAsync(db, userId, conversationId, cancellationToken);
        if (caller is null)
        {
            return NotFound;
        }

        if (caller.Value.Kind == ConversationKind.Direct)
        {
            return DirectConversationRefused("A direct conversation's members cannot change.");
        }

        var target = memberId == userId ? caller : await Membership.FindAsync(db, memberId, conversationId, cancellationToken);
        if (target is null)
        {
            return new DomainError.NotFound("That user is not a member.");
        }

        if (memberId != userId && !(caller.Value.Role == MemberRole.Owner || (caller.Value.Role == MemberRole.Admin && target.Value.Role == MemberRole.Member)))
        {
            return new DomainError.Forbidden("Only the owner, or an admin for plain members, can remove someone.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await LockForMemberChangeAsync(conversationId, cancellationToken) is null)
        {
            return NotFound;
        }

        // Counted by what the delete removed: of two concurrent removals of one member, only one takes a member off.
        var removed = await db.ConversationMembers.Where(m => m.ConversationId == conversationId && m.UserId == memberId).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            return new DomainError.NotFound("That user is not a member.");
        }

        if (!await db.ConversationMembers.AnyAsync(m => m.ConversationId == conversationId, cancellationToken))
        {
            // The last member left: nobody can read or reach the group any more, so it goes, and its history with it.
            await db.Conversations.Where(c => c.Id == conversationId).ExecuteDeleteAsync(cancellationToken);
        }
        else
        {
            await db.Conversations.Where(c => c.Id == conversationId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.MemberCount, c => c.MemberCount - 1), cancellationToken);
        }

        if (target.Value.Role == MemberRole.Owner)
        {
            var heir = await db.ConversationMembers.Where(m => m.ConversationId == conversationId)
                .OrderBy(m => m.Role == MemberRole.Admin ? 0 : 1).ThenBy(m => m.JoinedAt).Select(m => (Guid?)m.UserId).FirstOrDefaultAsync(cancellationToken);
            if (heir is not null)
            {
                await db.ConversationMembers.Where(m => m.ConversationId == conversationId && m.UserId == heir)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, MemberRole.Owner), cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        await events.MembershipChangedAsync(conversationId, [], [memberId]);
        return true;
    }

    public async Task<Result<bool>> ChangeRoleAsync(Guid userId, Guid conversationId, Guid memberId, ChangeRoleRequest request, CancellationToken cancellationToken)
    {
        if (request.Role is not (MemberRole.Admin or MemberRole.Member))
        {
            return DomainError.Invalid.Field("role", "The role must be admin or member.");
        }

        var access = await GroupAccessAsync(userId, conversationId, MemberRole.Owner, cancellationToken);
        if (access is not null)
        {
            return access;
        }

        if (memberId == userId)
        {
            return DomainError.Invalid.Field("role", "The owner's role cannot change; the owner hands over by leaving.");
        }

        var changed = await db.ConversationMembers.Where(m => m.ConversationId == conversationId && m.UserId == memberId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, request.Role.Value), cancellationToken);
        return changed == 1 ? true : new DomainError.NotFound("That user is not a member.");
    }

    public async Task<Result<Page<MemberResponse>>> ListMembersAsync(Guid userId, Guid conversationId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out MemberPosition? after, out var error);
        if (error is not null)
        {
            return error;
        }

        if (await Membership.FindAsync(db, userId, conversationId, cancellationToken) is null)
        {
            return NotFound;
        }

        var members = db.ConversationMembers.Where(m => m.ConversationId == conversationId);
        if (after is not null)
        {
            members = members.Where(m => EF.Functions.GreaterThan(ValueTuple.Create(m.JoinedAt, m.UserId), ValueTuple.Create(after.JoinedAt, after.UserId)));
        }

        var rows = await members.OrderBy(m => m.JoinedAt).ThenBy(m => m.UserId).Take(pageSize + 1)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { Member = m, User = u })
            .AsNoTracking().ToListAsync(cancellationToken);
        var items = rows.Take(pageSize).Select(r => new MemberResponse(UserResponse.From(r.User), r.Member.Role, r.Member.JoinedAt, r.Member.LastReadSeq)).ToList();
        var next = rows.Count > pageSize ? Cursor.Encode(new MemberPosition { JoinedAt = items[^1].JoinedAt, UserId = items[^1].User.Id }) : null;
        return new Page<MemberResponse>(items, next);
    }

    // The route's conversation id is the field at fault: it names a direct conversation where a group was needed.
    private static DomainError.Invalid DirectConversationRefused(string message) =>
        new(new Dictionary<string, string[]> { ["id"] = [message] }, message);

    private async Task<DomainError?> GroupAccessAsync(Guid userId, Guid conversationId, MemberRole required, CancellationToken cancellationToken)
    {
        var membership = await Membership.FindAsync(db, userId, conversationId, cancellationToken);
        if (membership is null)
        {
            return NotFound;
        }

        if (membership.Value.Kind == ConversationKind.Direct)
        {
            return DirectConversationRefused("A direct conversation has no title, roles or member changes.");
        }

        return membership.Value.Role >= required ? null : new DomainError.Forbidden($"Only a group {required.ToString().ToLowerInvariant()} can do that.");
    }

    /// <summary>
    /// Every change of a group's members takes its conversation row first, for the rest of the transaction: concurrent
    /// additions cannot together pass the member limit, and an addition cannot deadlock with a removal of the same
    /// user (each waiting for the other's member row or count update), nor a removal with its member's send (which
    /// takes the conversation row, then moves its sender's read marker). Null when the group went while the caller
    /// waited for it: its last member left.
    /// </summary>
    private Task<Conversation?> LockForMemberChangeAsync(Guid conversationId, CancellationToken cancellationToken) =>
        db.Conversations.FromSql($"SELECT * FROM conversations WHERE id = {conversationId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);

    private async Task<ConversationResponse?> FindDirectAsync(string directKey, Guid userId, CancellationToken cancellationToken)
    {
        var id = await db.Conversations.Where(c => c.DirectKey == directKey).Select(c => (Guid?)c.Id).SingleOrDefaultAsync(cancellationToken);
        return id is null ? null : await ConversationViews.LoadOneAsync(db, id.Value, userId, cancellationToken);
    }

    private async Task<ConversationResponse> ViewAsync(Guid conversationId, Guid userId, CancellationToken cancellationToken) =>
        await ConversationViews.LoadOneAsync(db, conversationId, userId, cancellationToken)
        ?? throw new InvalidOperationException($"Conversation {conversationId} vanished for its member {userId}.");

    /// <summary>
    /// Plain members, each with its read marker at <paramref name="readUpTo"/>, in one statement: thousands of members
    /// tracked by EF Core one entity each cost the Api more than the insert. Returns those who were not members already.
    /// </summary>
    private Task<List<Guid>> InsertMembersAsync(Guid conversationId, Guid[] userIds, long readUpTo, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<Guid>($"""
            INSERT INTO conversation_members (conversation_id, user_id, role, joined_at, last_read_seq)
            SELECT {conversationId}, candidate, 'Member', now(), {readUpTo} FROM unnest({userIds}) AS candidate
            ON CONFLICT DO NOTHING
            RETURNING user_id AS "Value"
            """).ToListAsync(cancellationToken);

    /// <summary>Names the first few unknown users only: a request may name thousands, and its error should not be as long.</summary>
    private async Task<DomainError?> UnknownUsersAsync(string field, IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        const int Named = 10;
        var known = await db.Users.Where(u => userIds.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
        var unknown = userIds.Except(known).ToList();
        if (unknown.Count == 0)
        {
            return null;
        }

        var names = string.Join(", ", unknown.Take(Named));
        return DomainError.Invalid.Field(field, unknown.Count > Named
            ? $"These users do not exist: {names} and {unknown.Count - Named} more."
            : $"These users do not exist: {names}.");
    }

    internal Task<List<Guid>> MemberIdsAsync(Guid conversationId, CancellationToken cancellationToken) =>
        db.ConversationMembers.Where(m => m.ConversationId == conversationId).Select(m => m.UserId).ToListAsync(cancellationToken);

    /// <summary>The unique key of the direct conversation between two users; the load tool seeds with it too.</summary>
    public static string DirectKeyOf(Guid a, Guid b) => string.CompareOrdinal(a.ToString(), b.ToString()) < 0 ? $"{a}:{b}" : $"{b}:{a}";

    private static Result<string> TitleOf(string? title)
    {
        if (TextInput.ControlCharacterError(title, "title") is { } refused)
        {
            return DomainError.Invalid.Field("title", refused);
        }

        var trimmed = title?.Trim().Normalize(NormalizationForm.FormC);
        return string.IsNullOrEmpty(trimmed) || TextInput.CharacterCount(trimmed) > MaxTitleLength
            ? DomainError.Invalid.Field("title", $"The title must be 1–{MaxTitleLength} characters.")
            : trimmed;
    }

    private sealed record ActivityPosition
    {
        public required DateTime UpdatedAt { get; init; }

        public required Guid Id { get; init; }
    }

    private sealed record MemberPosition
    {
        public required DateTime JoinedAt { get; init; }

        public required Guid UserId { get; init; }
    }
}

/// <summary>The caller's role and the conversation's kind, or null when the caller is not a member.</summary>
internal static class Membership
{
    public static async Task<(MemberRole Role, ConversationKind Kind)?> FindAsync(
        SocialDbContext db, Guid userId, Guid conversationId, CancellationToken cancellationToken)
    {
        var membership = await db.ConversationMembers
            .Where(m => m.ConversationId == conversationId && m.UserId == userId)
            .Join(db.Conversations, m => m.ConversationId, c => c.Id, (m, c) => new { m.Role, c.Kind })
            .SingleOrDefaultAsync(cancellationToken);
        return membership is null ? null : (membership.Role, membership.Kind);
    }
}
