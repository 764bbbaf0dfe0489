using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Realtime;

/// <summary>
/// Stores lastSeenAt for users who went offline: one UPDATE for everyone waiting when it starts, while the next ones
/// gather behind it. A node that loses 10,000 connections at once (a network blip, a load balancer's restart) ran
/// 10,000 UPDATEs side by side, each a commit and a DbContext of its own, past the pool's 1,024, so each was built
/// anew: ~730 MB allocated in 8 s and second-long collections (BENCHMARKS.md).
/// </summary>
public sealed class LastSeenWriter(IServiceScopeFactory scopeFactory, TimeProvider time)
{
    private readonly Lock _gate = new();
    private List<(IReadOnlyCollection<Guid> UserIds, TaskCompletionSource<DateTime> Stored)> _waiting = [];
    private bool _writing;

    /// <summary>Completes once the users' lastSeenAt is committed, with the time stored; fails as its UPDATE failed.</summary>
    public Task<DateTime> StoreAsync(IReadOnlyCollection<Guid> userIds)
    {
        var stored = new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool startWriting;
        lock (_gate)
        {
            _waiting.Add((userIds, stored));
            startWriting = !_writing;
            _writing = true;
        }

        if (startWriting)
        {
            // Not in the caller's flow: the writer outlives the disconnect that started it, and would carry its trace.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(WriteWaitingAsync);
            }
        }

        return stored.Task;
    }

    private async Task WriteWaitingAsync()
    {
        while (true)
        {
            List<(IReadOnlyCollection<Guid> UserIds, TaskCompletionSource<DateTime> Stored)> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                (batch, _waiting) = (_waiting, []);
            }

            try
            {
                var lastSeenAt = time.GetUtcNow().UtcDateTime;
                var userIds = batch.SelectMany(waiting => waiting.UserIds).Distinct().ToList();
                await using var scope = scopeFactory.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();
                // Rows locked in id order first, as a pair lock (UserPairLock) takes them: an UPDATE of thousands of ids
                // locks in the order it scans, the table's, and could hold one user of a pair while waiting on the other.
                await db.Database.ExecuteSqlAsync($"""
                    UPDATE users SET last_seen_at = {lastSeenAt}
                    WHERE id IN (SELECT id FROM users WHERE id = ANY({userIds}) ORDER BY id FOR NO KEY UPDATE)
                    """);
                batch.ForEach(waiting => waiting.Stored.TrySetResult(lastSeenAt));
            }
            catch (Exception exception)
            {
                batch.ForEach(waiting => waiting.Stored.TrySetException(exception));
            }
        }
    }
}
