using Npgsql;

namespace SocialChat.Tests.Support;

/// <summary>What a test that holds a lock in its own transaction asks PostgreSQL, to know the call it stalls is waiting.</summary>
public static class LockWaits
{
    /// <summary>How many sessions wait for a lock the transaction holds, directly or behind another waiter (a row's queue).</summary>
    public static async Task<long> WaitingOnAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var query = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_stat_activity a
            WHERE pg_backend_pid() = ANY (pg_blocking_pids(a.pid))
               OR EXISTS (SELECT 1 FROM unnest(pg_blocking_pids(a.pid)) b WHERE pg_backend_pid() = ANY (pg_blocking_pids(b)))
            """, connection, transaction);
        return (long)(await query.ExecuteScalarAsync())!;
    }
}
