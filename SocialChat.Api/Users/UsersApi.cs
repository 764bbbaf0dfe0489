using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Realtime;
using SocialChat.Data.Users;

namespace SocialChat.Api.Users;

public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization();

        api.MapGet("/me", GetMeAsync).WithName("GetMe").WithSummary("My profile");
        api.MapPatch("/me", UpdateMeAsync).WithName("UpdateMe").WithSummary("Change my display name, bio or avatar");
        api.MapGet("/{id:guid}", GetUserAsync).WithName("GetUser").WithSummary("A user's profile")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/", SearchUsersAsync).WithName("SearchUsers").WithSummary("Prefix search on username and display name");
        api.MapPost("/{id:guid}/block", BlockAsync).WithName("BlockUser").WithSummary("Block a user (idempotent)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}/block", UnblockAsync).WithName("UnblockUser").WithSummary("Unblock a user (idempotent)")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetMeAsync(
        ClaimsPrincipal user, SocialDbContext db, CancellationToken cancellationToken) =>
        (await Profiles.GetAsync(db, user.GetUserId(), cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> UpdateMeAsync(
        UpdateProfileRequest request, ClaimsPrincipal user, SocialDbContext db, CancellationToken cancellationToken) =>
        (await Profiles.UpdateAsync(db, user.GetUserId(), request, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetUserAsync(
        Guid id, SocialDbContext db, CancellationToken cancellationToken) =>
        (await Profiles.GetAsync(db, id, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Ok<Page<UserResponse>>, ProblemHttpResult>> SearchUsersAsync(
        [FromQuery] string? query, [FromQuery] string? cursor, [FromQuery] int? limit, SocialDbContext db, CancellationToken cancellationToken) =>
        (await Profiles.SearchAsync(db, query, cursor, limit, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> BlockAsync(
        Guid id, ClaimsPrincipal user, SocialDbContext db, IPresenceSubscriptions presenceSubscriptions, CancellationToken cancellationToken) =>
        (await Profiles.BlockAsync(db, presenceSubscriptions, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> UnblockAsync(
        Guid id, ClaimsPrincipal user, SocialDbContext db, CancellationToken cancellationToken) =>
        (await Profiles.UnblockAsync(db, user.GetUserId(), id, cancellationToken)).ToNoContentOrProblem();
}
