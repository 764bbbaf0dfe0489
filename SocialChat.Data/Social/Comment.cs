namespace SocialChat.Data.Social;

public sealed class Comment
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid PostId { get; init; }

    public Guid AuthorId { get; init; }

    public required string Body { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}
