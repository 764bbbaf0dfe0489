using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Users;

public static class BlockRules
{
    /// <summary>
    /// True when either user blocks the other. Direct messages and follows are refused both ways: the
    /// contract requires it of the blocked user, and a blocker writing to someone who cannot answer is no better.
    /// </summary>
    public static Task<bool> EitherBlocksAsync(this SocialDbContext db, Guid userA, Guid userB, CancellationToken cancellationToken) =>
        db.Blocks.AnyAsync(
            b => (b.BlockerId == userA && b.BlockedId == userB) || (b.BlockerId == userB && b.BlockedId == userA),
            cancellationToken);
}
