namespace SocialChat.Data.Social;

public sealed class Follow
{
    public Guid FollowerId { get; init; }

    public Guid FolloweeId { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}
