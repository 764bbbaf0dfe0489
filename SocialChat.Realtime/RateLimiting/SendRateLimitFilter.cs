using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;

namespace SocialChat.Realtime.RateLimiting;

/// <summary>
/// A hub filter that gives each connection a token bucket for SendMessage (10 per second, bursts of 20 by
/// default): a client stuck in a loop is refused with "rate limited" instead of flooding its conversations.
/// </summary>
internal sealed class SendRateLimitFilter(IOptions<HubRateLimitOptions> options) : IHubFilter
{
    private const string BucketKey = "send-rate-limiter";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocationContext.HubMethodName == "SendMessage")
        {
            var items = invocationContext.Context.Items;
            if (items[BucketKey] is not TokenBucketRateLimiter bucket)
            {
                var limits = options.Value;
                bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.SendBurst,
                    TokensPerPeriod = limits.SendsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
                items[BucketKey] = bucket;
            }

            using var lease = bucket.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                SocialChatMetrics.RateLimitRejected("hub");
                throw new HubException("Rate limited: too many messages from this connection; slow down and retry.");
            }
        }

        return await next(invocationContext);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        (context.Context.Items[BucketKey] as IDisposable)?.Dispose();
        return next(context, exception);
    }
}

public sealed class HubRateLimitOptions
{
    public const string SectionName = "HubRateLimits";

    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int SendsPerSecond { get; set; } = 10;

    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int SendBurst { get; set; } = 20;
}
