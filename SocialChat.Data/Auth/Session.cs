namespace SocialChat.Data.Auth;

/// <summary>The durable copy of a signed-in device; Redis holds the live copy that every request checks.</summary>
public sealed class Session
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid UserId { get; init; }

    public string? DeviceName { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public DateTime LastSeenAt { get; set; } = DateTime.UtcNow;

    /// <summary>Slides forward on every refresh.</summary>
    public DateTime ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}
