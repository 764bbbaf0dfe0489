using SocialChat.Data.Users;

namespace SocialChat.Data.Social;

/// <summary>The contract's <c>Post</c>.</summary>
public sealed record PostResponse(Guid Id, UserResponse Author, string Body, DateTime CreatedAt, int LikeCount, int CommentCount, bool LikedByMe);

/// <summary>The contract's <c>Comment</c>.</summary>
public sealed record CommentResponse(Guid Id, Guid PostId, UserResponse Author, string Body, DateTime CreatedAt);
