using System.ComponentModel.DataAnnotations;
using SocialChat.Data.Messages;
using SocialChat.Data.Users;

namespace SocialChat.Data.Conversations;

/// <summary>
/// The contract's <c>Conversation</c>, as one member sees it: their read marker and unread count, and for a direct
/// conversation, which has no title of its own, the other member's display name as <c>title</c>. <c>lastRevision</c>,
/// beyond the contract, is the revision of the conversation's latest edit or deletion: where a client that starts
/// following the conversation's changes starts from.
/// </summary>
public sealed record ConversationResponse(
    Guid Id,
    ConversationKind Kind,
    string? Title,
    int MemberCount,
    MessageResponse? LastMessage,
    long LastSeq,
    long LastRevision,
    long LastReadSeq,
    int UnreadCount,
    DateTime CreatedAt,
    DateTime UpdatedAt);

public sealed record MemberResponse(UserResponse User, MemberRole Role, DateTime JoinedAt, long LastReadSeq);

public sealed record OpenDirectRequest(Guid UserId);

public sealed record CreateGroupRequest(string? Title, IReadOnlyList<Guid>? MemberIds);

public sealed record RenameRequest(string? Title);

public sealed record AddMembersRequest(IReadOnlyList<Guid>? UserIds);

public sealed record ChangeRoleRequest(MemberRole? Role);

public sealed class ConversationOptions
{
    public const string SectionName = "Conversations";

    /// <summary>The contract's default; larger groups cost more per message fan-out.</summary>
    [Range(2, 1_000_000)]
    public int MaxGroupMembers { get; set; } = 10_000;
}
