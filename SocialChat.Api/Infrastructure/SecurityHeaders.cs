namespace SocialChat.Api.Infrastructure;

internal static class SecurityHeaders
{
    /// <summary>
    /// Headers that keep API responses from being sniffed, framed or leaking referrers. The JSON API serves
    /// no active content, so its responses also get a CSP that forbids everything; the API reference page
    /// (/scalar) is left to run its scripts.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            }

            return next(context);
        });
}
