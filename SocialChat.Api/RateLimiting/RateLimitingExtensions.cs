using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Api.RateLimiting;

internal static class RateLimitingExtensions
{
    /// <summary>
    /// One global limiter partitioned per user (authenticated), per address on the auth routes, and per
    /// address otherwise; refusals are 429 problem+json with Retry-After.
    /// </summary>
    public static void AddApiRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IConnectionMultiplexer, IOptions<RateLimitOptions>, IOptions<RedisOutageOptions>>((limiter, redis, limits, outage) =>
        {
            var options = limits.Value;
            var redisBound = outage.Value.DroppableWorkTimeout;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var (key, permits) = PartitionOf(context, options);
                return RateLimitPartition.Get(key, k => new RedisWindowRateLimiter(redis, k, permits, options.Window, redisBound));
            });
            limiter.OnRejected = WriteTooManyRequestsAsync;
        });
    }

    private static (string Key, int Permits) PartitionOf(HttpContext context, RateLimitOptions options)
    {
        var onAuthRoutes = context.Request.Path.StartsWithSegments("/api/v1/auth");
        // Authentication runs before the limiter, so a valid token has already named its user. Not on the routes that
        // sign in (register, login, refresh: no authorization asked): a token of one's own sent along would lift them
        // into that user's far larger budget, and every account registered would bring another.
        var signsIn = onAuthRoutes && context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is null;
        if (context.User.Identity?.IsAuthenticated == true && !signsIn)
        {
            return ($"rate:user:{context.User.GetUserId():N}", options.AuthenticatedPermits);
        }

        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return onAuthRoutes
            ? ($"rate:auth:{address}", options.AuthPermits)
            : ($"rate:anonymous:{address}", options.AnonymousPermits);
    }

    private static async ValueTask WriteTooManyRequestsAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        SocialChatMetrics.RateLimitRejected("api");
        var context = rejected.HttpContext;
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = "The request budget for this window is spent; retry after the time in Retry-After.",
            },
        });
    }
}
