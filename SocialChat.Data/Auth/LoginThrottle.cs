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

    // Returns {attempts counted, milliseconds to wait (0: may try)}. The window starts with the first attempt in the
    // same step, so a count can never be left without an end.
    private static readonly LuaScript BeginAttemptScript = LuaScript.Prepare("""
        local attempts = redis.call('INCR', @key)
        if attempts == 1 then
            redis.call('PEXPIRE', @key, @windowMs)
        end
        if attempts <= tonumber(@maxFailures) then
            return {attempts, 0}
        end
        local wait = redis.call('PTTL', @key)
        if wait < 0 then
            redis.call('PEXPIRE', @key, @windowMs)
            wait = tonumber(@windowMs)
        elseif wait == 0 then
            wait = 1
        end
        return {attempts, wait}
        """);

    // Only while the window lasts: a count that has ended is not brought back below zero.
    private static readonly LuaScript TakeBackAttemptScript = LuaScript.Prepare("""
        if tonumber(redis.call('GET', @key) or '0') > 0 then
            redis.call('DECR', @key)
        end
        return 0
        """);

    /// <summary>
    /// Counts this attempt as a failure before its password is checked, and says how long the caller must wait (null
    /// when it may try). Counted first, so that guesses made side by side cannot all pass a count none of them has raised
    /// yet; an attempt that succeeds takes itself back (<see cref="TakeBackAttemptAsync"/>).
    /// </summary>
    public async Task<LoginAttempt> BeginAttemptAsync(Guid? userId, string normalizedLogin, string? clientAddress)
    {
        try
        {
            var counted = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(BeginAttemptScript, new
            {
                key = KeyFor(userId, normalizedLogin, clientAddress),
                maxFailures = MaxFailures,
                windowMs = (long)Window.TotalMilliseconds,
            }))!;
            var (attempts, waitMs) = ((long)counted[0], (long)counted[1]);
            return new LoginAttempt(attempts, waitMs == 0 ? null : TimeSpan.FromMilliseconds(waitMs));
        }
        catch (Exception exception) when (TransientFailures.IsRedisOutage(exception))
        {
            logger.LogWarning(exception, "Login throttle unavailable: Redis is down");
            return new LoginAttempt(0, null);
        }
    }

    /// <summary>An attempt's password did not match: it stays counted, and the last one the window allows locks sign-in.</summary>
    public void Failed(LoginAttempt attempt, string? clientAddress)
    {
        if (attempt.Number == MaxFailures)
        {
            // The address, not the login: a password typed into the login field must not reach the logs.
            logger.LogWarning("Sign-in locked for {Window} after {Failures} failed attempts on one account from {ClientAddress}", Window, MaxFailures, clientAddress);
        }
    }

    /// <summary>A login that succeeded is no failure: its attempt leaves the count.</summary>
    public async Task TakeBackAttemptAsync(Guid userId, string normalizedLogin, string? clientAddress)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(TakeBackAttemptScript, new { key = KeyFor(userId, normalizedLogin, clientAddress) });
        }
        catch (Exception exception) when (TransientFailures.IsRedisOutage(exception))
        {
            logger.LogWarning(exception, "Could not take a successful login out of the failure count: Redis is down");
        }
    }

    // Hashed, so neither logins, account ids nor addresses sit in Redis in clear; the prefixes keep a login text
    // from ever naming an account's count.
    private static RedisKey KeyFor(Guid? userId, string normalizedLogin, string? clientAddress) =>
        "login-failures:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            userId is { } id ? $"user:{id:N}|{clientAddress}" : $"login:{normalizedLogin}|{clientAddress}")));
}

/// <summary>A login attempt as counted: its number in the window (0 when Redis could not count it), and the wait when refused.</summary>
public readonly record struct LoginAttempt(long Number, TimeSpan? RetryAfter);
