using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using StackExchange.Redis;

namespace SocialChat.Data.Auth;

/// <summary>
/// Which sessions are live. Redis answers the check every request and hub connection makes; PostgreSQL
/// holds the durable copy, so a session Redis has lost (FLUSHALL, restart) is looked up there and cached
/// again, and a revoked one stays revoked. Revocation is announced on a channel so realtime nodes can
/// close that session's connections at once.
/// </summary>
public sealed class SessionStore(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopeFactory,
    IOptions<JwtOptions> jwtOptions,
    IOptions<RedisOutageOptions> outage,
    TimeProvider time,
    ILogger<SessionStore> logger)
{
    /// <summary>Carries the id of every revoked session.</summary>
    public static readonly RedisChannel RevokedChannel = RedisChannel.Literal("socialchat:sessions:revoked");

    private const string RevokedMarker = "revoked";

    /// <summary>
    /// A live session is cached from what PostgreSQL said a moment earlier (a load after a cache miss, a refresh), and
    /// a revoke can land in that moment: its marker must not be overwritten, or the session's access tokens would keep
    /// working until they expire.
    /// </summary>
    private const string CacheLiveUnlessRevoked =
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    private static RedisKey KeyFor(Guid sessionId) => $"session:{sessionId:N}";

    /// <summary>Long enough to outlive every access token of the session; after that they fail on expiry anyway.</summary>
    private TimeSpan RevokedMarkerLifetime => jwtOptions.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);

    public async Task<bool> IsLiveAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken)
    {
        try
        {
            var cached = await redis.GetDatabase().StringGetAsync(KeyFor(sessionId)).WaitAsync(outage.Value.DroppableWorkTimeout, cancellationToken);
            if (cached.HasValue)
            {
                return cached == userId.ToString("N");
            }
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, cancellationToken))
        {
            // Redis is a cache here: answer from PostgreSQL rather than refuse, or hold, every request.
            logger.LogWarning(exception, "Session check fell back to PostgreSQL: Redis is unavailable");
            return await LoadAsync(sessionId, cancellationToken) is { } live && live.UserId == userId;
        }

        var session = await LoadAsync(sessionId, cancellationToken);
        await CacheAsync(sessionId, session);
        return session is not null && session.UserId == userId;
    }

    /// <summary>Those of these sessions that are no longer live (revoked, expired or gone), from PostgreSQL, the durable copy.</summary>
    public async Task<IReadOnlySet<Guid>> EndedAmongAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken)
    {
        var live = await QueryLiveAsync(live => live.Where(s => sessionIds.Contains(s.Id)).Select(s => s.Id).ToListAsync(cancellationToken));
        return sessionIds.Except(live).ToHashSet();
    }

    /// <summary>Caches a session that was just created or refreshed.</summary>
    public Task RememberAsync(Guid sessionId, Guid userId, DateTime expiresAt) => CacheAsync(sessionId, new LiveSession(userId, expiresAt));

    /// <summary>
    /// Revokes in PostgreSQL first (the durable fact), then marks it in Redis and announces it. Returns
    /// false when no such live session belongs to the user.
    /// </summary>
    public async Task<bool> RevokeAsync(SocialDbContext db, Guid sessionId, Guid userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.Sessions
            .Where(s => s.Id == sessionId && s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), cancellationToken);
        if (revoked == 0)
        {
            return false;
        }

        await CacheAsync(sessionId, session: null);
        try
        {
            await redis.GetSubscriber().PublishAsync(RevokedChannel, sessionId.ToString("N")).WaitAsync(outage.Value.DroppableWorkTimeout, cancellationToken);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, cancellationToken))
        {
            logger.LogWarning(exception, "Could not announce the revocation of session {SessionId}; its hub connections close at their node's next sweep of ended sessions", sessionId);
        }

        return true;
    }

    /// <summary>
    /// Marks again in Redis every session revoked within the lifetime of its access tokens, and returns how many. A
    /// revoke made while Redis was away wrote PostgreSQL alone; a Redis that comes back with its data (it persists to
    /// disk, and a frozen one keeps it in memory) would still hold such a session as live, and its tokens would work
    /// again until they expired.
    /// </summary>
    public async Task<int> MarkRecentRevocationsAsync()
    {
        var markerLifetime = RevokedMarkerLifetime;
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();
        var revoked = await db.Sessions.AsNoTracking()
            .Where(s => s.RevokedAt > now - markerLifetime)
            .Select(s => new { s.Id, RevokedAt = s.RevokedAt!.Value })
            .ToListAsync();
        var database = redis.GetDatabase();
        await Task.WhenAll(revoked.Select(s => database.StringSetAsync(KeyFor(s.Id), RevokedMarker, s.RevokedAt + markerLifetime - now)));
        return revoked.Count;
    }

    private Task<LiveSession?> LoadAsync(Guid sessionId, CancellationToken cancellationToken) =>
        QueryLiveAsync(live => live.Where(s => s.Id == sessionId).Select(s => new LiveSession(s.UserId, s.ExpiresAt)).SingleOrDefaultAsync(cancellationToken));

    /// <summary>A query over the sessions PostgreSQL holds live now (not revoked, not expired), in a scope of its own.</summary>
    private async Task<T> QueryLiveAsync<T>(Func<IQueryable<Session>, Task<T>> query)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        return await query(db.Sessions.AsNoTracking().Where(s => s.RevokedAt == null && s.ExpiresAt > now));
    }

    private async Task CacheAsync(Guid sessionId, LiveSession? session)
    {
        try
        {
            var database = redis.GetDatabase();
            if (session is null)
            {
                await database.StringSetAsync(KeyFor(sessionId), RevokedMarker, RevokedMarkerLifetime)
                    .WaitAsync(outage.Value.DroppableWorkTimeout);
            }
            else
            {
                var ttl = session.ExpiresAt - time.GetUtcNow().UtcDateTime;
                if (ttl > TimeSpan.Zero)
                {
                    await database.ScriptEvaluateAsync(
                            CacheLiveUnlessRevoked, [KeyFor(sessionId)], [RevokedMarker, session.UserId.ToString("N"), (long)ttl.TotalMilliseconds])
                        .WaitAsync(outage.Value.DroppableWorkTimeout);
                }
            }
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, CancellationToken.None))
        {
            logger.LogWarning(exception, "Could not cache session {SessionId}; PostgreSQL stays the answer", sessionId);
        }
    }

    private sealed record LiveSession(Guid UserId, DateTime ExpiresAt);
}
