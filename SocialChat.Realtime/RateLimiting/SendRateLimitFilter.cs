using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;

namespace SocialChat.Realtime.RateLimiting;

/// <summary>
/// A hub filter that gives each connection a token bucket for SendMessage (10 per second, bursts of 20 by
/// default): a client stuck in a loop is refused with "rate limited" instead of flooding its conversations.
/// </summary>
/// <remarks>
/// The buckets live in one partitioned limiter, not one limiter per connection: that refills every bucket from a
/// single timer and forgets a bucket once it has been full for a while, where a limiter of its own would run a
/// timer per sending connection for as long as the connection stays open (a node holds ~17,000).
/// </remarks>
internal sealed class SendRateLimitFilter(IOptions<HubRateLimitOptions> options) : IHubFilter, IDisposable
{
    private readonly PartitionedRateLimiter<string> _bucketPerConnection = PartitionedRateLimiter.Create<string, string>(
        connectionId => RateLimitPartition.GetTokenBucketLimiter(connectionId, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.SendBurst,
            TokensPerPeriod = options.Value.SendsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocationContext.HubMethodName == "SendMessage")
        {
            using var lease = _bucketPerConnection.AttemptAcquire(invocationContext.Context.ConnectionId);
            if (!lease.IsAcquired)
            {
                SocialChatMetrics.RateLimitRejected("hub");
                throw new HubException("Rate limited: too many messages from this connection; slow down and retry.");
            }
        }

        return await next(invocationContext);
    }

    public void Dispose() => _bucketPerConnection.Dispose();
}

public sealed class HubRateLimitOptions
{
    public const string SectionName = "HubRateLimits";

    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int SendsPerSecond { get; set; } = 10;

    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int SendBurst { get; set; } = 20;
}
