namespace SocialChat.Data.Social;

public sealed class Post
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid AuthorId { get; init; }

    public required string Body { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public int LikeCount { get; set; }

    public int CommentCount { get; set; }
}
