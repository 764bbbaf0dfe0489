using Microsoft.AspNetCore.Diagnostics;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// Malformed JSON, a wrong type in a route or query value, or a body over the size limit surface as
/// BadHttpRequestException; they are the caller's mistake and get their 4xx problem+json, never a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = badRequest.StatusCode,
                Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                Detail = badRequest.Message,
            },
        });
    }
}
