using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SocialChat.Data.Auth;

/// <summary>
/// Five failed logins for one account from one address in 15 minutes, then 429 until the window ends.
/// Counted in Redis so every Api instance sees the same count; a success does not reset it, so guessing
/// cannot be interleaved with one's own logins.
/// </summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, ILogger<LoginThrottle> logger)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>How long the caller must wait, or null when it may try.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string login, string? clientAddress)
    {
        try
        {
            var database = redis.GetDatabase();
            var key = KeyFor(login, clientAddress);
            var failures = (int?)await database.StringGetAsync(key) ?? 0;
            if (failures < MaxFailures)
            {
                return null;
            }

            return await database.KeyTimeToLiveAsync(key) ?? Window;
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            logger.LogWarning(exception, "Login throttle unavailable: Redis is down");
            return null;
        }
    }

    public async Task RecordFailureAsync(string login, string? clientAddress)
    {
        try
        {
            var database = redis.GetDatabase();
            var key = KeyFor(login, clientAddress);
            if (await database.StringIncrementAsync(key) == 1)
            {
                await database.KeyExpireAsync(key, Window);
            }
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            logger.LogWarning(exception, "Could not count a failed login: Redis is down");
        }
    }

    // Hashed, so neither logins nor addresses sit in Redis in clear.
    private static RedisKey KeyFor(string login, string? clientAddress) =>
        "login-failures:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{login.ToLowerInvariant()}|{clientAddress}")));
}
