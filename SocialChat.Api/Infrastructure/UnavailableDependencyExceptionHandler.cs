using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using SocialChat.Data.Common;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// PostgreSQL (or Redis) away for a moment is not the caller's fault nor a bug: 503 problem+json with
/// Retry-After, so clients retry the same request (sends are idempotent by clientMessageId) instead of
/// reporting a 500.
/// </summary>
internal sealed class UnavailableDependencyExceptionHandler(IProblemDetailsService problemDetails, ILogger<UnavailableDependencyExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!TransientFailures.IsTransient(exception))
        {
            return false;
        }

        logger.LogWarning("Answered 503: a dependency is unavailable ({Error})", exception.GetBaseException().Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = TransientFailures.RetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = TransientFailures.Detail,
            },
        });
    }
}
