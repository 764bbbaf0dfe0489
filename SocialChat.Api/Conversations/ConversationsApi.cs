using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;

namespace SocialChat.Api.Conversations;

public static class ConversationsApi
{
    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/conversations").WithTags("Conversations").RequireAuthorization();
        var memberListBodyLimit = MemberListBodyLimit(app.ServiceProvider.GetRequiredService<IOptions<ConversationOptions>>().Value);

        api.MapPost("/direct", OpenDirectAsync).WithName("OpenDirectConversation").WithSummary("Open (or get) the direct conversation with a user")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/groups", CreateGroupAsync).WithName("CreateGroup").WithSummary("Create a group; the creator is its owner").WithMetadata(memberListBodyLimit);
        api.MapGet("/", ListAsync).WithName("ListConversations").WithSummary("My conversations, most recent activity first");
        api.MapGet("/{id:guid}", GetAsync).WithName("GetConversation").WithSummary("One of my conversations")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPatch("/{id:guid}", RenameAsync).WithName("RenameGroup").WithSummary("Rename a group (owner or admin)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/members", AddMembersAsync).WithName("AddMembers").WithSummary("Add members to a group (owner or admin)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).WithMetadata(memberListBodyLimit);
        api.MapDelete("/{id:guid}/members/{userId:guid}", RemoveMemberAsync).WithName("RemoveMember").WithSummary("Remove a member, or leave")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPatch("/{id:guid}/members/{userId:guid}", ChangeRoleAsync).WithName("ChangeMemberRole").WithSummary("Make a member admin or member (owner)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/members", ListMembersAsync).WithName("ListMembers").WithSummary("The members, in joining order")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    /// <summary>
    /// A body naming as many users as a group may have: at 10,000 that is ~390 KB of ids, past the 64 KiB every other
    /// request keeps. Room for 64 bytes an id (a quoted UUID and a comma take 39, the rest is for indented JSON) and
    /// for the rest of the body.
    /// </summary>
    private static RequestSizeLimitAttribute MemberListBodyLimit(ConversationOptions options) =>
        new(64 * 1024 + 64L * options.MaxGroupMembers);

    public static async Task<Results<Created<ConversationResponse>, Ok<ConversationResponse>, ProblemHttpResult>> OpenDirectAsync(
        OpenDirectRequest request, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken)
    {
        var result = await services.Conversations.OpenDirectAsync(user.GetUserId(), request.UserId, cancellationToken);
        if (!result.IsSuccess)
        {
            return result.Error.ToProblem();
        }

        var (conversation, created) = result.Value;
        return created ? TypedResults.Created($"/api/v1/conversations/{conversation.Id}", conversation) : TypedResults.Ok(conversation);
    }

    public static async Task<Results<Created<ConversationResponse>, ProblemHttpResult>> CreateGroupAsync(
        CreateGroupRequest request, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken)
    {
        var result = await services.Conversations.CreateGroupAsync(user.GetUserId(), request, cancellationToken);
        return result.IsSuccess ? TypedResults.Created($"/api/v1/conversations/{result.Value.Id}", result.Value) : result.Error.ToProblem();
    }

    public static async Task<Results<Ok<Page<ConversationResponse>>, ProblemHttpResult>> ListAsync(
        [FromQuery] string? cursor, [FromQuery] int? limit, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.ListAsync(user.GetUserId(), cursor, limit, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.GetAsync(user.GetUserId(), id, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> RenameAsync(
        Guid id, RenameRequest request, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.RenameAsync(user.GetUserId(), id, request, cancellationToken)).ToOkOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> AddMembersAsync(
        Guid id, AddMembersRequest request, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.AddMembersAsync(user.GetUserId(), id, request, cancellationToken)).ToNoContentOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveMemberAsync(
        Guid id, Guid userId, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.RemoveMemberAsync(user.GetUserId(), id, userId, cancellationToken)).ToNoContentOrProblem();

    public static async Task<Results<NoContent, ProblemHttpResult>> ChangeRoleAsync(
        Guid id, Guid userId, ChangeRoleRequest request, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.ChangeRoleAsync(user.GetUserId(), id, userId, request, cancellationToken)).ToNoContentOrProblem();

    public static async Task<Results<Ok<Page<MemberResponse>>, ProblemHttpResult>> ListMembersAsync(
        Guid id, [FromQuery] string? cursor, [FromQuery] int? limit, ClaimsPrincipal user, [AsParameters] ConversationServices services, CancellationToken cancellationToken) =>
        (await services.Conversations.ListMembersAsync(user.GetUserId(), id, cursor, limit, cancellationToken)).ToOkOrProblem();
}
