namespace SocialChat.Data.Social;

public sealed class PostLike
{
    public Guid PostId { get; init; }

    public Guid UserId { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}
