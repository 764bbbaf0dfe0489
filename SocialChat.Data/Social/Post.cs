namespace SocialChat.Data.Social;

public sealed class Post
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid AuthorId { get; init; }

    public required string Body { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    /// <summary>
    /// Written while the author was popular, so never copied into timelines: every feed read merges it in from
    /// PostgreSQL for as long as it exists, whatever the author's follower count has become since.
    /// </summary>
    public bool MergedAtRead { get; init; }

    public int LikeCount { get; set; }

    public int CommentCount { get; set; }
}
