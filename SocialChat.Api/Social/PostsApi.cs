using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Social;

namespace SocialChat.Api.Social;

public static class PostsApi
{
    public static IEndpointRouteBuilder MapPostsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Posts").RequireAuthorization();

        api.MapPost("/posts", CreatePostAsync).WithName("CreatePost").WithSummary("Write a post");
        api.MapGet("/posts/{id:guid}", GetPostAsync).WithName("GetPost").WithSummary("Read a post")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/posts/{id:guid}", DeletePostAsync).WithName("DeletePost").WithSummary("Delete your post; it leaves every feed")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/users/{id:guid}/posts", ListUserPostsAsync).WithName("ListUserPosts").WithSummary("A user's posts, newest first")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/posts/{id:guid}/like", LikePostAsync).WithName("LikePost").WithSummary("Like a post (idempotent)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/posts/{id:guid}/like", UnlikePostAsync).WithName("UnlikePost").WithSummary("Take a like back (idempotent)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/posts/{id:guid}/comments", CommentAsync).WithName("CommentOnPost").WithSummary("Comment on a post")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/posts/{id:guid}/comments", ListCommentsAsync).WithName("ListComments").WithSummary("A post's comments, oldest first")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<PostResponse>, ProblemHttpResult>> CreatePostAsync(
        WritePostRequest request, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        var result = await Posts.CreateAsync(services.Db, services.Notifier, services.Timelines, services.Options.Value, user.GetUserId(), request.Body, cancellationToken);
        return result.IsSuccess ? TypedResults.Created($"/api/v1/posts/{result.Value.Id}", result.Value) : result.Error.ToProblem();
    }

    public static async Task<Results<Ok<PostResponse>, ProblemHttpResult>> GetPostAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.GetAsync(services.Db, user.GetUserId(), id, cancellationToken)).ToOkOrProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeletePostAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.DeleteAsync(services.Db, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
    }

    public static async Task<Results<Ok<Page<PostResponse>>, ProblemHttpResult>> ListUserPostsAsync(
        Guid id, [FromQuery] string? cursor, [FromQuery] int? limit, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.ListByAuthorAsync(services.Db, user.GetUserId(), id, cursor, limit, cancellationToken)).ToOkOrProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> LikePostAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.LikeAsync(services.Db, services.Notifier, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> UnlikePostAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.UnlikeAsync(services.Db, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
    }

    public static async Task<Results<Created<CommentResponse>, ProblemHttpResult>> CommentAsync(
        Guid id, WritePostRequest request, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        var result = await Posts.CommentAsync(services.Db, services.Notifier, user.GetUserId(), id, request.Body, cancellationToken);
        return result.IsSuccess ? TypedResults.Created($"/api/v1/posts/{id}/comments", result.Value) : result.Error.ToProblem();
    }

    public static async Task<Results<Ok<Page<CommentResponse>>, ProblemHttpResult>> ListCommentsAsync(
        Guid id, [FromQuery] string? cursor, [FromQuery] int? limit, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await Posts.ListCommentsAsync(services.Db, id, cursor, limit, cancellationToken)).ToOkOrProblem();
    }
}

/// <summary>The body of a post or a comment; its length rule is the operation's (posts 2,000, comments 1,000).</summary>
public sealed record WritePostRequest(string? Body);
