using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Auth;

/// <summary>
/// Deletes the sessions that ended (signed out, revoked or expired): they can no longer change an answer, and a refresh
/// token or access token of theirs is refused with the same answer as an unknown one.
/// </summary>
public sealed class SessionRetention(SocialDbContext db, TimeProvider time, IOptions<SessionRetentionOptions> options)
{
    /// <summary>Returns how many sessions went.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var batchSize = options.Value.BatchSize;
        var total = 0;
        int deleted;
        do
        {
            deleted = await db.Sessions.Where(s => s.RevokedAt != null || s.ExpiresAt <= now).OrderBy(s => s.Id).Take(batchSize).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == batchSize);

        return total;
    }
}
