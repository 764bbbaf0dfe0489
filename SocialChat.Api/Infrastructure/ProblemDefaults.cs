using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// What ASP.NET Core answers by itself (no route here, a method the route lacks, no valid token, a body too large or
/// not JSON) is problem+json with a title and no detail, and a 429 has no type either. The contract promises both on
/// every error, so these get one that tells the client what to change. A detail the Api wrote is kept.
/// </summary>
internal static class ProblemDefaults
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Status == StatusCodes.Status429TooManyRequests)
        {
            problem.Type ??= "https://tools.ietf.org/html/rfc6585#section-4";
        }

        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status401Unauthorized => "A valid access token is required: sign in, or refresh the access token.",
            StatusCodes.Status404NotFound => "Nothing is found at this address.",
            StatusCodes.Status405MethodNotAllowed => $"This address does not take {context.HttpContext.Request.Method}; the Allow header says what it takes.",
            StatusCodes.Status413PayloadTooLarge => BodyTooLarge(context.HttpContext),
            StatusCodes.Status415UnsupportedMediaType => "The body must be JSON, sent with Content-Type: application/json.",
            StatusCodes.Status429TooManyRequests => "Too many requests: wait as long as Retry-After says, then try again.",
            { } status => ReasonPhrases.GetReasonPhrase(status),
            null => null,
        };
    }

    private static string BodyTooLarge(HttpContext httpContext) =>
        httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"The request body is larger than this address takes ({limit} bytes)."
            : "The request body is larger than this address takes.";
}
