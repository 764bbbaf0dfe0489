using Npgsql;

namespace SocialChat.Tests.Support;

/// <summary>A lock a test holds in its own transaction, and what it asks PostgreSQL to know the call it stalls is waiting.</summary>
public static class LockWaits
{
    /// <summary>
    /// Holds one row of a table keyed by <c>id</c> (a conversation's, where a change to its members waits; a post's,
    /// where a like, a comment or a delete waits) until the transaction ends.
    /// </summary>
    public static async Task<NpgsqlTransaction> HoldRowAsync(NpgsqlConnection connection, string table, Guid id)
    {
        var hold = await connection.BeginTransactionAsync();
        await using var lockRow = new NpgsqlCommand($"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE", connection, hold) { Parameters = { new() { Value = id } } };
        await lockRow.ExecuteNonQueryAsync();
        return hold;
    }

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
