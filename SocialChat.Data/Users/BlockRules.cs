using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Data.Users;

public static class BlockRules
{
    /// <summary>
    /// True when either user blocks the other. Direct messages, follows, likes and comments are refused both ways: the
    /// contract requires it of the blocked user, and a blocker writing to someone who cannot answer is no better.
    /// </summary>
    public static Task<bool> EitherBlocksAsync(this SocialDbContext db, Guid userA, Guid userB, CancellationToken cancellationToken) =>
        db.SeparatedFrom(userA).ContainsAsync(userB, cancellationToken);

    /// <summary>Everyone a block separates from the user, whichever of the two made it.</summary>
    public static IQueryable<Guid> SeparatedFrom(this SocialDbContext db, Guid userId) =>
        db.Blocks.Where(b => b.BlockerId == userId).Select(b => b.BlockedId)
            .Concat(db.Blocks.Where(b => b.BlockedId == userId).Select(b => b.BlockerId));
}
