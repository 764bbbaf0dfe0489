using Npgsql;
using StackExchange.Redis;

namespace SocialChat.Data.Common;

/// <summary>
/// Failures that say a dependency is away for a while (PostgreSQL shut down, restarting or out of connections,
/// Redis unreachable), not that the request was wrong: the doors answer them "try again shortly" (503 with
/// Retry-After, a HubException) instead of an internal error.
/// </summary>
public static class TransientFailures
{
    /// <summary>What a client should wait before retrying; PostgreSQL's restart after a crash takes a few seconds.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public const string Detail = "A service this request needs is temporarily unavailable; retry shortly with the same request.";

    public static bool IsTransient(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is NpgsqlException { IsTransient: true } || IsRedisOutage(current) || current is TimeoutException
                // A connection the crash broke, or the database saying it is shutting down or starting up.
                || current is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow }
                || IsTransactionOfBrokenConnection(current))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A connection that breaks between two commands of a transaction completes the transaction under it, and
    /// the next command or the commit then fails with Npgsql's InvalidOperationException ("Transaction is
    /// already completed"), not with a NpgsqlException: the database went away, nothing was committed.
    /// </summary>
    private static bool IsTransactionOfBrokenConnection(Exception exception) =>
        exception is InvalidOperationException { Source: "Npgsql" } && exception.Message.Contains("completed", StringComparison.Ordinal);

    /// <summary>
    /// Redis refused, unreachable, loading its data after a restart, or not answering in time. A timeout is
    /// not a RedisException (it is a TimeoutException), so a bare catch of RedisException would let a hung
    /// Redis through.
    /// </summary>
    public static bool IsRedisOutage(Exception exception) => exception is RedisException or RedisTimeoutException;

    /// <summary>
    /// For a catch around Redis calls alone, whose result the caller can do without: any failure but the caller's
    /// own cancellation. Besides the outages above, the library fails the pending commands of a connection it tears
    /// down (Redis hung) with whatever its pipe threw — a TaskCanceledException, an InvalidOperationException
    /// "Reading is not allowed after reader was completed" — which answered REST sends 500 before this.
    /// </summary>
    public static bool IsRedisCallFailure(Exception exception, CancellationToken callerToken) =>
        exception is not OperationCanceledException || !callerToken.IsCancellationRequested;
}
