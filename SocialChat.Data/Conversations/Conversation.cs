namespace SocialChat.Data.Conversations;

public sealed class Conversation
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public ConversationKind Kind { get; init; }

    public string? Title { get; set; }

    /// <summary>"{smaller user id}:{larger user id}" for a direct conversation, unique, so a pair has one; null for groups.</summary>
    public string? DirectKey { get; init; }

    /// <summary>The seq of the newest message; the next message takes LastSeq + 1 in the same transaction.</summary>
    public long LastSeq { get; set; }

    /// <summary>
    /// Counts the edits and deletions of this conversation's messages, gap-free: each takes LastRevision + 1 under this
    /// row's lock, so revisions commit in their order and a client can tell when it missed one.
    /// </summary>
    public long LastRevision { get; set; }

    public int MemberCount { get; set; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    /// <summary>The last message's time, or the creation time: what the conversation list is ordered by.</summary>
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

public enum ConversationKind
{
    Direct,
    Group,
}
