namespace SocialChat.Data.Users;

public sealed class User
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>Lower-case; the allowed alphabet is [a-z0-9_], so lower-casing is the case-insensitive form.</summary>
    public required string Username { get; set; }

    public required string Email { get; set; }

    /// <summary>Upper-invariant copy of <see cref="Email"/> that carries the unique index.</summary>
    public required string NormalizedEmail { get; set; }

    public required string PasswordHash { get; set; }

    public required string DisplayName { get; set; }

    public string? Bio { get; set; }

    public string? AvatarUrl { get; set; }

    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;

    public int FollowerCount { get; set; }

    public int FollowingCount { get; set; }

    /// <summary>When the user's last realtime connection closed; null while never seen.</summary>
    public DateTime? LastSeenAt { get; set; }
}
