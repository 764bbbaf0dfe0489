namespace SocialChat.Data.Users;

public sealed class Block
{
    public Guid BlockerId { get; init; }

    public Guid BlockedId { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
}
