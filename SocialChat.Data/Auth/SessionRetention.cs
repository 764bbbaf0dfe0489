using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Auth;

/// <summary>
/// Deletes the sign-in records that can no longer change an answer: sessions that ended (signed out or expired), with
/// their refresh tokens, and the expired refresh tokens of live sessions. Every refresh leaves its rotated token behind
/// for reuse detection, and a live client refreshes every 15 minutes, so without this the refresh tokens grow by ~100
/// rows per active user a day, for good. What is deleted was refused already, with the same answer as an unknown token.
/// </summary>
public sealed class SessionRetention(SocialDbContext db, TimeProvider time, IOptions<SessionRetentionOptions> options)
{
    /// <summary>Returns how many sessions and refresh tokens went (the tokens of ended sessions not counted).</summary>
    public async Task<(int Sessions, int RefreshTokens)> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var sessions = await InBatchesAsync(() => db.Sessions.Where(s => s.RevokedAt != null || s.ExpiresAt <= now), cancellationToken);
        var refreshTokens = await InBatchesAsync(() => db.RefreshTokens.Where(t => t.ExpiresAt <= now), cancellationToken);
        return (sessions, refreshTokens);
    }

    private async Task<int> InBatchesAsync<T>(Func<IQueryable<T>> rows, CancellationToken cancellationToken)
    {
        var batchSize = options.Value.BatchSize;
        var total = 0;
        int deleted;
        do
        {
            deleted = await rows().Take(batchSize).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == batchSize);

        return total;
    }
}
