using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Social;
using SocialChat.Data.Users;

namespace SocialChat.Api.Social;

public static class FollowsApi
{
    public static IEndpointRouteBuilder MapFollowsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/users/{id:guid}").WithTags("Follows").RequireAuthorization();

        api.MapPost("/follow", FollowAsync).WithName("FollowUser").WithSummary("Follow a user (idempotent)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/follow", UnfollowAsync).WithName("UnfollowUser").WithSummary("Stop following a user (idempotent)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/followers", ListFollowersAsync).WithName("ListFollowers").WithSummary("Who follows the user, newest first")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/following", ListFollowingAsync).WithName("ListFollowing").WithSummary("Whom the user follows, newest first")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> FollowAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await FollowGraph.FollowAsync(services.Db, services.Notifier, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> UnfollowAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await FollowGraph.UnfollowAsync(services.Db, services.PresenceSubscriptions, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
    }

    public static async Task<Results<Ok<Page<UserResponse>>, ProblemHttpResult>> ListFollowersAsync(
        Guid id, [FromQuery] string? cursor, [FromQuery] int? limit, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await FollowGraph.ListFollowersAsync(services.Db, id, cursor, limit, cancellationToken)).ToOkOrProblem();
    }

    public static async Task<Results<Ok<Page<UserResponse>>, ProblemHttpResult>> ListFollowingAsync(
        Guid id, [FromQuery] string? cursor, [FromQuery] int? limit, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await FollowGraph.ListFollowingAsync(services.Db, id, cursor, limit, cancellationToken)).ToOkOrProblem();
    }
}
