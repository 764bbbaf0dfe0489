using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// Malformed JSON, a wrong type in a route or query value, a missing body, or a body over the size limit surface as
/// BadHttpRequestException; they are the caller's mistake and get their 4xx problem+json, never a 500. A 400
/// names what the caller got wrong in <c>errors</c>, as the contract's other 400s do: the field where the JSON
/// reader stopped, the route or query value by its name, or <c>body</c>. The exception's own message is not
/// passed on for a 400: it speaks of the handler's parameters and their CLR types, which are ours, not the caller's.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = badRequest.StatusCode == StatusCodes.Status400BadRequest
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [FieldOf(badRequest, out var message)] = [message] })
            {
                Title = "One or more validation errors occurred.",
                Detail = "The request could not be read; errors says which part.",
            }
            : new ProblemDetails
            {
                Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                Detail = badRequest.Message,
            };
        problem.Status = badRequest.StatusCode;
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    private static string FieldOf(BadHttpRequestException badRequest, out string message)
    {
        if (badRequest.InnerException is JsonException { Path: { } path } && path.StartsWith("$.", StringComparison.Ordinal))
        {
            message = "The value is malformed, of the wrong type, or not valid text.";
            return path[2..];
        }

        if (UnboundValue().Match(badRequest.Message) is { Success: true } unbound)
        {
            message = "The value is not valid here.";
            return unbound.Groups["name"].Value;
        }

        // The rest concern the body as a whole: none sent, not JSON of the expected shape, or cut short in transit.
        message = "A JSON body of the expected shape is required.";
        return "body";
    }

    // A route or query value that would not parse. The framework names it only in the message, after its CLR type:
    // Failed to bind parameter "Nullable<int> limit" from "abc".
    [GeneratedRegex("""^Failed to bind parameter "(?:[^"]* )?(?<name>[^" ]+)" from """)]
    private static partial Regex UnboundValue();
}
