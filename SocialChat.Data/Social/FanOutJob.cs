namespace SocialChat.Data.Social;

/// <summary>
/// The durable queue (a transactional outbox) between writing a post and fanning it out to followers'
/// timelines: the row commits with the post, and the Worker deletes it only after the fan-out is done,
/// so a Worker that dies mid-way loses nothing.
/// </summary>
public sealed class FanOutJob
{
    public long Id { get; init; }

    public Guid PostId { get; init; }

    public Guid AuthorId { get; init; }

    public FanOutKind Kind { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public int Attempts { get; set; }
}

public enum FanOutKind
{
    Publish,
    Retract,
}
