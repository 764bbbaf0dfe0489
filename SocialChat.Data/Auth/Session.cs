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

    /// <summary>SHA-256 of the session's current refresh token, the only one that refreshes it (<see cref="RefreshTokens"/>).</summary>
    public required byte[] RefreshTokenHash { get; init; }

    /// <summary>How many times the session was refreshed: its current refresh token carries this number, every earlier one less.</summary>
    public int Refreshes { get; init; }
}
