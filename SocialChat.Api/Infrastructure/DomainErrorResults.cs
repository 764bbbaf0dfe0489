using Microsoft.AspNetCore.Http.HttpResults;
using SocialChat.Data.Common;

namespace SocialChat.Api.Infrastructure;

/// <summary>How the REST door answers a refused domain operation: one problem+json per rule.</summary>
internal static class DomainErrorResults
{
    public static ProblemHttpResult ToProblem(this DomainError error, HttpContext? httpContext = null)
    {
        if (error is DomainError.TooManyRequests tooMany && httpContext is not null)
        {
            httpContext.Response.Headers.RetryAfter = Math.Ceiling(tooMany.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return error switch
        {
            DomainError.Invalid invalid => TypedResults.Problem(new HttpValidationProblemDetails(invalid.Errors.ToDictionary())
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more validation errors occurred.",
                Detail = invalid.Detail,
            }),
            DomainError.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", error.Detail),
            DomainError.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", error.Detail),
            DomainError.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", error.Detail),
            DomainError.Unauthorized => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", error.Detail),
            DomainError.TooManyRequests => Problem(StatusCodes.Status429TooManyRequests, "Too many requests", error.Detail),
            _ => throw new ArgumentOutOfRangeException(nameof(error), error, "Unmapped domain error."),
        };
    }

    public static Results<Ok<T>, ProblemHttpResult> ToOkOrProblem<T>(this Result<T> result) =>
        result.IsSuccess ? TypedResults.Ok(result.Value) : result.Error.ToProblem();

    public static Results<NoContent, ProblemHttpResult> ToNoContentOrProblem<T>(this Result<T> result) =>
        result.IsSuccess ? TypedResults.NoContent() : result.Error.ToProblem();

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
