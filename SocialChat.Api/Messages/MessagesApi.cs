using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;

namespace SocialChat.Api.Messages;

public static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/conversations/{id:guid}").WithTags("Messages").RequireAuthorization();

        api.MapGet("/messages", HistoryAsync).WithName("GetMessages")
            .WithSummary("History: ?before=SEQ newest first (the default), ?after=SEQ oldest first (catch-up), ?changedAfter=REVISION the edits and deletions since (oldest change first); ?cursor=nextCursor continues any")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/messages", SendAsync).WithName("SendMessage").WithSummary("Send a message; the same clientMessageId again returns the same message")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPatch("/messages/{seq:long}", EditAsync).WithName("EditMessage").WithSummary("Edit your message")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/messages/{seq:long}", DeleteAsync).WithName("DeleteMessage").WithSummary("Delete a message, leaving a tombstone")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/read", MarkReadAsync).WithName("MarkRead").WithSummary("Move my read marker forward")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Ok<Page<MessageResponse>>, ProblemHttpResult>> HistoryAsync(
        Guid id, [FromQuery] long? before, [FromQuery] long? after, [FromQuery] long? changedAfter, [FromQuery] string? cursor, [FromQuery] int? limit,
        ClaimsPrincipal user, [AsParameters] MessageServices services, CancellationToken cancellationToken) =>
        (await services.Messages.HistoryAsync(user.GetUserId(), id, new HistoryRange(before, after, changedAfter), cursor, limit, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Created<MessageResponse>, Ok<MessageResponse>, ProblemHttpResult>> SendAsync(
        Guid id, SendMessageRequest request, ClaimsPrincipal user, [AsParameters] MessageServices services, CancellationToken cancellationToken)
    {
        var result = await services.Messages.SendAsync(user.GetUserId(), id, request, cancellationToken);
        if (!result.IsSuccess)
        {
            return result.Error.ToProblem();
        }

        var (message, created) = result.Value;
        // No Location: a message has no URL of its own to GET (history pages are read by seq), and the 201 names the
        // conversation's messages, the request's own URL, as the place it was created in.
        return created ? TypedResults.Created((string?)null, message) : TypedResults.Ok(message);
    }

    public static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> EditAsync(
        Guid id, long seq, EditMessageRequest request, ClaimsPrincipal user, [AsParameters] MessageServices services, CancellationToken cancellationToken) =>
        (await services.Messages.EditAsync(user.GetUserId(), id, seq, request, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        Guid id, long seq, ClaimsPrincipal user, [AsParameters] MessageServices services, CancellationToken cancellationToken) =>
        (await services.Messages.DeleteAsync(user.GetUserId(), id, seq, cancellationToken)).ToNoContentOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> MarkReadAsync(
        Guid id, MarkReadRequest request, ClaimsPrincipal user, [AsParameters] MessageServices services, CancellationToken cancellationToken) =>
        request.Seq is { } seq
            ? (await services.Messages.MarkReadAsync(user.GetUserId(), id, seq, cancellationToken)).ToNoContentOrProblem()
            : DomainError.Invalid.Field("seq", "The seq is required.").ToProblem();
}
