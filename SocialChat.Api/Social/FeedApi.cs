using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Notifications;
using SocialChat.Data.Social;

namespace SocialChat.Api.Social;

public static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization();

        api.MapGet("/feed", ReadFeedAsync).WithName("ReadHomeFeed").WithSummary("Posts of the people I follow and my own, newest first").WithTags("Feed");
        api.MapGet("/notifications", ListNotificationsAsync).WithName("ListNotifications").WithSummary("My notifications, newest first").WithTags("Notifications");
        api.MapPost("/notifications/read", MarkNotificationsReadAsync).WithName("MarkNotificationsRead").WithSummary("Mark a notification and every older one read")
            .ProducesProblem(StatusCodes.Status404NotFound).WithTags("Notifications");

        return app;
    }

    public static async Task<Results<Ok<Page<PostResponse>>, ProblemHttpResult>> ReadFeedAsync(
        [FromQuery] string? cursor, [FromQuery] int? limit, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await services.HomeFeed.ReadAsync(user.GetUserId(), cursor, limit, cancellationToken)).ToOkOrProblem();
    }

    public static async Task<Results<Ok<Page<NotificationResponse>>, ProblemHttpResult>> ListNotificationsAsync(
        [FromQuery] string? cursor, [FromQuery] int? limit, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await NotificationInbox.ListAsync(services.Db, user.GetUserId(), cursor, limit, cancellationToken)).ToOkOrProblem();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> MarkNotificationsReadAsync(
        MarkNotificationsReadRequest request, ClaimsPrincipal user, [AsParameters] SocialServices services, CancellationToken cancellationToken)
    {
        return (await NotificationInbox.MarkReadAsync(services.Db, user.GetUserId(), request.UpTo, cancellationToken)).ToNoContentOrProblem();
    }
}

public sealed record MarkNotificationsReadRequest(Guid UpTo);
