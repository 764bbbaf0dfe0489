using System.Text;
using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Realtime;
using SocialChat.Data.Social;

namespace SocialChat.Data.Users;

public sealed record UpdateProfileRequest(string? DisplayName, string? Bio, string? AvatarUrl);

/// <summary>Profiles, search and blocking: one method per use case.</summary>
public static class Profiles
{
    public const int MaxBioLength = 280;
    public const int MaxAvatarUrlLength = 2048;

    public static async Task<Result<UserResponse>> GetAsync(SocialDbContext db, Guid userId, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken) is { } user
            ? UserResponse.From(user)
            : new DomainError.NotFound("User not found.");

    /// <summary>Only the fields present change; an empty bio or avatarUrl clears it.</summary>
    public static async Task<Result<UserResponse>> UpdateAsync(
        SocialDbContext db, Guid userId, UpdateProfileRequest request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        string? displayName = null;
        if (request.DisplayName is not null)
        {
            displayName = AccountRules.CheckDisplayName(request.DisplayName, errors);
            if (displayName is null && !errors.ContainsKey("displayName"))
            {
                errors["displayName"] = ["The display name must not be empty."];
            }
        }

        var bio = request.Bio?.ReplaceLineEndings("\n").Trim().Normalize(NormalizationForm.FormC);
        if (TextInput.ControlCharacterError(bio, "bio", multiLine: true) is { } refusedBio)
        {
            errors["bio"] = [refusedBio];
        }
        else if (bio is not null && TextInput.CharacterCount(bio) > MaxBioLength)
        {
            errors["bio"] = [$"The bio must be at most {MaxBioLength} characters."];
        }

        var avatarUrl = request.AvatarUrl?.Trim();
        if (!string.IsNullOrEmpty(avatarUrl)
            && (TextInput.ControlCharacterError(avatarUrl, "avatarUrl") is not null || avatarUrl.Length > MaxAvatarUrlLength || !Uri.TryCreate(avatarUrl, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            errors["avatarUrl"] = ["The avatar URL must be an absolute https URL."];
        }

        if (errors.Count > 0)
        {
            return new DomainError.Invalid(errors);
        }

        var user = await db.Users.SingleAsync(u => u.Id == userId, cancellationToken);
        if (displayName is not null)
        {
            user.DisplayName = displayName;
        }

        if (bio is not null)
        {
            user.Bio = bio.Length == 0 ? null : bio;
        }

        if (avatarUrl is not null)
        {
            user.AvatarUrl = avatarUrl.Length == 0 ? null : avatarUrl;
        }

        await db.SaveChangesAsync(cancellationToken);
        return UserResponse.From(user);
    }

    /// <summary>Prefix search on username or display name, case-insensitive, ordered by username (unique, so a keyset).</summary>
    public static async Task<Result<Page<UserResponse>>> SearchAsync(
        SocialDbContext db, string? query, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var pageSize = Paging.Resolve(limit, cursor, out string? afterUsername, out var error);
        if (error is not null)
        {
            return error;
        }

        if (TextInput.ControlCharacterError(query, "query") is { } refused)
        {
            return DomainError.Invalid.Field("query", refused);
        }

        // Composed, as display names are stored: a query typed decomposed ("e" and a combining accent) finds them too.
        var prefix = query?.Trim().Normalize(NormalizationForm.FormC).ToLowerInvariant();
        if (string.IsNullOrEmpty(prefix) || TextInput.CharacterCount(prefix) > AccountRules.MaxDisplayNameLength)
        {
            return DomainError.Invalid.Field("query", $"The query must be 1–{AccountRules.MaxDisplayNameLength} characters.");
        }

        // LIKE wildcards in the query are literal characters, not patterns.
        var pattern = prefix.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        var matches = db.Users.AsNoTracking()
            .Where(u => EF.Functions.Like(u.Username, pattern, @"\") || EF.Functions.Like(u.DisplayName.ToLower(), pattern, @"\"));
        if (afterUsername is not null)
        {
            matches = matches.Where(u => string.Compare(u.Username, afterUsername) > 0);
        }

        var users = await matches.OrderBy(u => u.Username).Take(pageSize + 1).ToListAsync(cancellationToken);
        var items = users.Take(pageSize).Select(UserResponse.From).ToList();
        return new Page<UserResponse>(items, users.Count > pageSize ? Cursor.Encode(items[^1].Username) : null);
    }

    /// <summary>
    /// Idempotent. Blocking also ends any follow between the two, both ways, and with it each one's live presence
    /// subscription to the other, unless they share a conversation (a block leaves groups alone).
    /// </summary>
    public static async Task<Result<bool>> BlockAsync(
        SocialDbContext db, IPresenceSubscriptions presenceSubscriptions, Guid blockerId, Guid blockedId, CancellationToken cancellationToken)
    {
        if (blockerId == blockedId)
        {
            return DomainError.Invalid.Field("id", "You cannot block yourself.");
        }

        if (!await db.Users.AnyAsync(u => u.Id == blockedId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUserPairAsync(blockerId, blockedId, cancellationToken);
        // send_messages checks blocks under the conversation's lock, then stores: a send already past its check when the
        // block is written would be stored after the 204. Waiting for that lock lets such a send commit first; a send
        // that takes it after this commit sees the block.
        await db.Database.ExecuteSqlAsync(
            $"SELECT 1 FROM conversations WHERE direct_key = {Conversations.Conversations.DirectKeyOf(blockerId, blockedId)} FOR SHARE", cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ({blockerId}, {blockedId}, {DateTime.UtcNow}) ON CONFLICT DO NOTHING",
            cancellationToken);
        await FollowGraph.RemoveBothWaysAsync(db, blockerId, blockedId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await presenceSubscriptions.VisibilityMayHaveEndedAsync(blockerId, [blockedId]);
        return true;
    }

    public static async Task<Result<bool>> UnblockAsync(SocialDbContext db, Guid blockerId, Guid blockedId, CancellationToken cancellationToken)
    {
        if (!await db.Users.AnyAsync(u => u.Id == blockedId, cancellationToken))
        {
            return new DomainError.NotFound("User not found.");
        }

        await db.Blocks.Where(b => b.BlockerId == blockerId && b.BlockedId == blockedId).ExecuteDeleteAsync(cancellationToken);
        return true;
    }
}
