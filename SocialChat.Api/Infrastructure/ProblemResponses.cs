using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SocialChat.Api.Infrastructure;

/// <summary>
/// The OpenAPI document names each operation's success from its handler's type; its errors are the contract's
/// problem+json (API.md, "Conventions") whatever the operation. So a client's generator sees them on every operation:
/// a 400 whose <c>errors</c> names the fields where the operation takes input, and every other error as the default.
/// </summary>
internal sealed class ProblemResponses : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= new OpenApiResponses();
        if (operation.RequestBody is not null || operation.Parameters is { Count: > 0 })
        {
            operation.Responses.TryAdd("400", await ProblemAsync(
                typeof(HttpValidationProblemDetails), "The input is invalid: errors names each field and what is wrong with it.", context, cancellationToken));
        }

        operation.Responses.TryAdd("default", await ProblemAsync(
            typeof(ProblemDetails), "Any other error (401, 403, 404, 409, 413, 429, 503…): its status says which, its detail what to change.", context, cancellationToken));
    }

    private static async Task<OpenApiResponse> ProblemAsync(Type type, string description, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation is not in a document.");
        document.AddComponent(type.Name, await context.GetOrCreateSchemaAsync(type, cancellationToken: cancellationToken));
        return new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(type.Name, document) } },
        };
    }
}
