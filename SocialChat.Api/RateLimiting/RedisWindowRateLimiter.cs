using System.Diagnostics;
using System.Threading.RateLimiting;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Api.RateLimiting;

/// <summary>
/// A fixed-window counter in Redis, so the budget holds across all Api instances. If Redis cannot be
/// reached, or does not answer within <paramref name="redisBound"/>, the partition falls back to an in-process
/// window: limits loosen to per instance rather than failing open, failing every request or holding it.
/// </summary>
/// <remarks>
/// One of these per user and per client address. It says how long it has been idle, so the partitioned limiter
/// forgets it once its caller has gone quiet (its count lives on in Redis), and its fallback window exists only once
/// Redis has failed and runs no timer of its own: a partition kept for every caller ever seen, each with a timer, grew
/// the Api's memory and timer work with every new user and address.
/// </remarks>
internal sealed class RedisWindowRateLimiter(IConnectionMultiplexer redis, string key, int permits, TimeSpan window, TimeSpan redisBound) : RateLimiter
{
    // Returns {count, milliseconds left in the window}.
    private static readonly LuaScript CountScript = LuaScript.Prepare("""
        local count = redis.call('INCR', @key)
        if count == 1 then redis.call('PEXPIRE', @key, @windowMs) end
        return { count, redis.call('PTTL', @key) }
        """);

    private readonly Lazy<FixedWindowRateLimiter> _fallback = new(() => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = false,
    }));

    private long _lastAcquiredAt = Stopwatch.GetTimestamp();

    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastAcquiredAt));

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries this synchronous path first; a Redis round trip belongs in AcquireAsyncCore.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Deferred;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastAcquiredAt, Stopwatch.GetTimestamp());
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
            // Starts a new window once the last has passed: the replenishment a timer would otherwise run.
            _fallback.Value.TryReplenish();
            return await _fallback.Value.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _fallback.IsValueCreated)
        {
            _fallback.Value.Dispose();
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
