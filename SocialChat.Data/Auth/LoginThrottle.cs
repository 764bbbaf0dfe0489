using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using SocialChat.Data.Common;
using StackExchange.Redis;

namespace SocialChat.Data.Auth;

/// <summary>
/// Five failed logins for one account from one address in 15 minutes, then 429 until the window ends.
/// Counted in Redis so every Api instance sees the same count; a success does not reset it, so guessing
/// cannot be interleaved with one's own logins. The count belongs to the account the login resolved to,
/// so its username, its email and every case of either share the five; a login that names nobody is
/// counted by its normalized text, so it is locked out alike and the 429 does not tell whether it exists.
/// </summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, ILogger<LoginThrottle> logger)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>How long the caller must wait, or null when it may try.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(Guid? userId, string normalizedLogin, string? clientAddress)
    {
        try
        {
            var database = redis.GetDatabase();
            var key = KeyFor(userId, normalizedLogin, clientAddress);
            var failures = (int?)await database.StringGetAsync(key) ?? 0;
            if (failures < MaxFailures)
            {
                return null;
            }

            return await database.KeyTimeToLiveAsync(key) ?? Window;
        }
        catch (Exception exception) when (TransientFailures.IsRedisOutage(exception))
        {
            logger.LogWarning(exception, "Login throttle unavailable: Redis is down");
            return null;
        }
    }

    public async Task RecordFailureAsync(Guid? userId, string normalizedLogin, string? clientAddress)
    {
        try
        {
            var database = redis.GetDatabase();
            var key = KeyFor(userId, normalizedLogin, clientAddress);
            var failures = await database.StringIncrementAsync(key);
            if (failures == 1)
            {
                await database.KeyExpireAsync(key, Window);
            }
            else if (failures == MaxFailures)
            {
                // The address, not the login: a password typed into the login field must not reach the logs.
                logger.LogWarning("Sign-in locked for {Window} after {Failures} failed attempts on one account from {ClientAddress}", Window, failures, clientAddress);
            }
        }
        catch (Exception exception) when (TransientFailures.IsRedisOutage(exception))
        {
            logger.LogWarning(exception, "Could not count a failed login: Redis is down");
        }
    }

    // Hashed, so neither logins, account ids nor addresses sit in Redis in clear; the prefixes keep a login text
    // from ever naming an account's count.
    private static RedisKey KeyFor(Guid? userId, string normalizedLogin, string? clientAddress) =>
        "login-failures:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            userId is { } id ? $"user:{id:N}|{clientAddress}" : $"login:{normalizedLogin}|{clientAddress}")));
}
