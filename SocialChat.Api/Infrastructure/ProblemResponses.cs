using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// The OpenAPI document names each operation's success from its handler's type, and its errors from what answers
/// them: the statuses an operation's domain rules answer are declared on its endpoint (<c>ProducesProblem</c>,
/// <c>ProducesValidationProblem</c>), and those that follow from the operation's shape are added here, as API.md's
/// "Conventions" give them: 400 where it takes a body or a query, 401 where it needs an access token, 413 where it takes
/// a body, and 429, 503 and 504 everywhere (the rate limiter and the request timeout are global; the database may be
/// away). Every one is problem+json; anything else is the default response.
/// </summary>
internal sealed class ProblemResponses : IOpenApiOperationTransformer
{
    private static readonly Dictionary<int, string> Descriptions = new()
    {
        [StatusCodes.Status400BadRequest] = "The input is invalid: errors names each field and what is wrong with it.",
        [StatusCodes.Status401Unauthorized] = "The access token is missing, invalid, expired or revoked; for login and refresh, the credentials or the refresh token were refused.",
        [StatusCodes.Status403Forbidden] = "Signed in, but not allowed to do this (a group's owner or admin only, the sender only, a block between the two users…).",
        [StatusCodes.Status404NotFound] = "It does not exist, or the caller may not know that it exists (a conversation they are not a member of).",
        [StatusCodes.Status409Conflict] = "It conflicts with what is stored (a username or email taken, a deleted message edited).",
        [StatusCodes.Status413PayloadTooLarge] = "The body is larger than this operation takes; the detail says the limit.",
        [StatusCodes.Status429TooManyRequests] = "Rate limited: wait the seconds in Retry-After, then try again.",
        [StatusCodes.Status503ServiceUnavailable] = "A dependency (the database) is unavailable for the moment: try again after the seconds in Retry-After.",
        [StatusCodes.Status504GatewayTimeout] = "It took longer than the Api allows and was cancelled; try again (sends are idempotent by clientMessageId).",
    };

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var statuses = metadata.OfType<IProducesResponseTypeMetadata>()
            .Where(produces => produces.Type == typeof(ProblemDetails) || produces.Type == typeof(HttpValidationProblemDetails))
            .Select(produces => produces.StatusCode)
            .ToHashSet();
        if (operation.RequestBody is not null || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true)
        {
            statuses.Add(StatusCodes.Status400BadRequest);
        }

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
        }

        if (operation.RequestBody is not null)
        {
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }

        statuses.UnionWith([StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable, StatusCodes.Status504GatewayTimeout]);

        operation.Responses ??= new OpenApiResponses();
        var problem = await SchemaAsync(typeof(ProblemDetails), context, cancellationToken);
        foreach (var status in statuses.Order())
        {
            var response = new OpenApiResponse
            {
                Description = Descriptions[status],
                Content = ProblemContent(status == StatusCodes.Status400BadRequest ? await SchemaAsync(typeof(HttpValidationProblemDetails), context, cancellationToken) : problem),
            };
            if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before the next try.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                };
            }

            // Replaces what ProducesProblem generated, which says no more than the status's reason phrase.
            operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = response;
        }

        operation.Responses["default"] = new OpenApiResponse { Description = "Any other error: its status says which, its detail what to change.", Content = ProblemContent(problem) };
    }

    private static Dictionary<string, OpenApiMediaType> ProblemContent(IOpenApiSchema schema) =>
        new() { ["application/problem+json"] = new OpenApiMediaType { Schema = schema } };

    private static async Task<IOpenApiSchema> SchemaAsync(Type type, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation is not in a document.");
        document.AddComponent(type.Name, await context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken));
        return new OpenApiSchemaReference(type.Name, document);
    }
}
