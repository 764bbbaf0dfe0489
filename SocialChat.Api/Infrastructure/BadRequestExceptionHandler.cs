using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// Malformed JSON, a wrong type in a route or query value, or a body over the size limit surface as
/// BadHttpRequestException; they are the caller's mistake and get their 4xx problem+json, never a 500.
/// When the JSON reader knows where the body went wrong, the 400 names that field in <c>errors</c>, as the
/// contract's other 400s do.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = badRequest.InnerException is JsonException { Path: { } path }
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path] = ["The value is malformed, of the wrong type, or not valid text."],
            })
            : new ProblemDetails();
        problem.Status = badRequest.StatusCode;
        problem.Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request";
        problem.Detail = badRequest.Message;
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }
}
