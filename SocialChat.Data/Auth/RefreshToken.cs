namespace SocialChat.Data.Auth;

/// <summary>
/// Every refresh token ever issued for a session, by hash only. Keeping the rotated ones is what lets a
/// replayed token be recognised as reuse and revoke its session.
/// </summary>
public sealed class RefreshToken
{
    /// <summary>SHA-256 of the opaque token.</summary>
    public required byte[] TokenHash { get; init; }

    public Guid SessionId { get; init; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public DateTime ExpiresAt { get; init; }

    /// <summary>Set once, when the token is exchanged for the next one.</summary>
    public DateTime? RotatedAt { get; set; }
}
