using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Realtime;

namespace SocialChat.Api.Presence;

public static class PresenceApi
{
    public static IEndpointRouteBuilder MapPresenceApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/users/presence", GetPresenceAsync)
            .WithName("GetPresence").WithSummary("Online state of users I share a conversation with or follow").WithTags("Users")
            .RequireAuthorization();
        return app;
    }

    public static async Task<Results<Ok<List<PresenceResponse>>, ProblemHttpResult>> GetPresenceAsync(
        PresenceRequest request, ClaimsPrincipal user, PresenceTracker presence, IOptions<PresenceOptions> options, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxUsersPerQuery;
        if (request.UserIds is null || request.UserIds.Count > max)
        {
            return DomainError.Invalid.Field("userIds", $"Name up to {max} users.").ToProblem();
        }

        return TypedResults.Ok(await presence.GetAsync(user.GetUserId(), request.UserIds, cancellationToken));
    }
}
