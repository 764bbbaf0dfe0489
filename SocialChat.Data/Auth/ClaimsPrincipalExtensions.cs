using System.Security.Claims;

namespace SocialChat.Data.Auth;

/// <summary>The two claims every authenticated door needs: who (<c>sub</c>) and which session (<c>sid</c>).</summary>
public static class ClaimsPrincipalExtensions
{
    public const string UserIdClaim = "sub";
    public const string SessionIdClaim = "sid";

    public static Guid GetUserId(this ClaimsPrincipal principal) => RequiredGuid(principal, UserIdClaim);

    public static Guid GetSessionId(this ClaimsPrincipal principal) => RequiredGuid(principal, SessionIdClaim);

    // Authentication has validated the token before any handler runs, so a missing claim is a server bug.
    private static Guid RequiredGuid(ClaimsPrincipal principal, string claimType) =>
        Guid.TryParse(principal.FindFirst(claimType)?.Value, out var value)
            ? value
            : throw new InvalidOperationException($"The authenticated principal has no valid '{claimType}' claim.");
}
