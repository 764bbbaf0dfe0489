using Scalar.AspNetCore;

namespace SocialChat.Api.Infrastructure;

internal static class ApiReference
{
    /// <summary>The OpenAPI document at /openapi/v1.json and the browsable reference at /scalar.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }
}
