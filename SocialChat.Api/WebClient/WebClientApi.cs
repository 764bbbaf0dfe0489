using Microsoft.Extensions.Options;

namespace SocialChat.Api.WebClient;

/// <summary>The web client (wwwroot/app) and the one value it cannot know by itself: where the hub is.</summary>
public static class WebClientApi
{
    public static IApplicationBuilder UseWebClient(this IApplicationBuilder app) =>
        app.UseDefaultFiles().UseStaticFiles(new StaticFileOptions
        {
            // The page is read (and edited) as the client reference: always serve the current files.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });

    public static IEndpointRouteBuilder MapWebClientApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/app/config.json", (IOptions<WebClientOptions> options) => TypedResults.Ok(new WebClientConfig(options.Value.HubUrl)))
            .ExcludeFromDescription();
        return app;
    }
}

public sealed record WebClientConfig(string HubUrl);
