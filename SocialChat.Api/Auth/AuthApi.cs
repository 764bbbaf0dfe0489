using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SocialChat.Data.Auth;

namespace SocialChat.Api.Auth;

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/auth").WithTags("Auth");

        api.MapPost("/register", RegisterAsync).WithName("Register").WithSummary("Create an account and sign in")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/login", LoginAsync).WithName("Login").WithSummary("Sign in with username or email")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapPost("/refresh", RefreshAsync).WithName("Refresh").WithSummary("Exchange a refresh token for new tokens (rotation)")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        api.MapPost("/logout", LogoutAsync).WithName("Logout").WithSummary("Sign this session out everywhere, at once").RequireAuthorization();
        api.MapGet("/sessions", ListSessionsAsync).WithName("ListSessions").WithSummary("My signed-in devices").RequireAuthorization();
        api.MapDelete("/sessions/{id:guid}", RevokeSessionAsync).WithName("RevokeSession").WithSummary("Sign one device out")
            .ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization();

        return app;
    }

    public static async Task<Results<Created<AuthResult>, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, Accounts accounts, CancellationToken cancellationToken)
    {
        var result = await accounts.RegisterAsync(request, cancellationToken);
        return result.IsSuccess ? TypedResults.Created($"/api/v1/users/{result.Value.User.Id}", result.Value) : result.Error.ToProblem();
    }

    public static async Task<Results<Ok<AuthResult>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, Accounts accounts, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var clientAddress = httpContext.Connection.RemoteIpAddress?.ToString();
        var result = await accounts.SignInAsync(request, clientAddress, cancellationToken);
        return result.IsSuccess ? TypedResults.Ok(result.Value) : result.Error.ToProblem(httpContext);
    }

    public static async Task<Results<Ok<AuthResult>, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, Accounts accounts, CancellationToken cancellationToken)
    {
        var result = await accounts.RefreshAsync(request, cancellationToken);
        return result.IsSuccess ? TypedResults.Ok(result.Value) : result.Error.ToProblem();
    }

    public static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, Accounts accounts, CancellationToken cancellationToken)
    {
        await accounts.SignOutAsync(user.GetUserId(), user.GetSessionId(), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<SessionResponse>>> ListSessionsAsync(
        ClaimsPrincipal user, Accounts accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListSessionsAsync(user.GetUserId(), user.GetSessionId(), cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeSessionAsync(
        Guid id, ClaimsPrincipal user, Accounts accounts, CancellationToken cancellationToken)
    {
        var result = await accounts.RevokeSessionAsync(user.GetUserId(), id, cancellationToken);
        return result.IsSuccess ? TypedResults.NoContent() : result.Error.ToProblem();
    }
}
