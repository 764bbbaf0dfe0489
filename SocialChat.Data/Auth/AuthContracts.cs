using SocialChat.Data.Users;

namespace SocialChat.Data.Auth;

/// <summary>The contract's <c>AuthResult</c>.</summary>
public sealed record AuthResult(UserResponse User, string AccessToken, DateTime AccessTokenExpiresAt, string RefreshToken, DateTime RefreshTokenExpiresAt);

public sealed record SessionResponse(Guid Id, string? DeviceName, DateTime CreatedAt, DateTime LastSeenAt, bool Current);

public sealed record RegisterRequest(string? Username, string? Email, string? Password, string? DisplayName);

public sealed record LoginRequest(string? Login, string? Password, string? DeviceName);

public sealed record RefreshRequest(string? RefreshToken);
