using System.Threading.RateLimiting;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Api.RateLimiting;

/// <summary>
/// A fixed-window counter in Redis, so the budget holds across all Api instances. If Redis cannot be
/// reached, or does not answer within <paramref name="redisBound"/>, the partition falls back to an in-process
/// window: limits loosen to per instance rather than failing open, failing every request or holding it.
/// </summary>
internal sealed class RedisWindowRateLimiter(IConnectionMultiplexer redis, string key, int permits, TimeSpan window, TimeSpan redisBound) : RateLimiter
{
    // Returns {count, milliseconds left in the window}.
    private static readonly LuaScript CountScript = LuaScript.Prepare("""
        local count = redis.call('INCR', @key)
        if count == 1 then redis.call('PEXPIRE', @key, @windowMs) end
        return { count, redis.call('PTTL', @key) }
        """);

    private readonly FixedWindowRateLimiter _fallback = new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
    });

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries this synchronous path first; a Redis round trip belongs in AcquireAsyncCore.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Deferred;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                CountScript, new { key = (RedisKey)key, windowMs = (long)window.TotalMilliseconds }).WaitAsync(redisBound, cancellationToken))!;
            var count = (long)result[0];
            var remaining = TimeSpan.FromMilliseconds(Math.Max(0, (long)result[1]));
            return count <= permits ? Lease.Granted : Lease.Refused(remaining);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, cancellationToken))
        {
            return await _fallback.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fallback.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class Lease(bool isAcquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public static readonly Lease Deferred = new(false, null);

        public static Lease Refused(TimeSpan retryAfter) => new(false, retryAfter);

        public override bool IsAcquired { get; } = isAcquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
