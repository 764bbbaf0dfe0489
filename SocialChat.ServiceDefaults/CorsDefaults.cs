using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Browser clients on other origins: only those listed in <c>Cors:AllowedOrigins</c> may call the Api and
/// negotiate with the hub. With none listed, no cross-origin call is allowed.
/// </summary>
public static class CorsDefaults
{
    public static TBuilder AddCorsAllowList<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        builder.Services.AddCors(options => options.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .AllowAnyHeader()
            .AllowAnyMethod()
            .WithExposedHeaders("Retry-After", "Location")));
        return builder;
    }
}
