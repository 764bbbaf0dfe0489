namespace SocialChat.Data.Conversations;

public sealed class ConversationMember
{
    public Guid ConversationId { get; init; }

    public Guid UserId { get; init; }

    public MemberRole Role { get; set; }

    public DateTime JoinedAt { get; init; } = DateTime.UtcNow;

    /// <summary>Only ever moves forward, and never past the conversation's LastSeq.</summary>
    public long LastReadSeq { get; set; }
}

public enum MemberRole
{
    Member,
    Admin,
    Owner,
}
