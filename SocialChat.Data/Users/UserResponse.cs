namespace SocialChat.Data.Users;

/// <summary>The contract's <c>User</c>.</summary>
public sealed record UserResponse(
    Guid Id,
    string Username,
    string DisplayName,
    string? Bio,
    string? AvatarUrl,
    DateTime CreatedAt,
    int FollowerCount,
    int FollowingCount)
{
    public static UserResponse From(User user) => new(
        user.Id, user.Username, user.DisplayName, user.Bio, user.AvatarUrl, user.CreatedAt, user.FollowerCount, user.FollowingCount);
}
