using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SocialChat.Data.Infrastructure;

namespace SocialChat.Tests.Support;

/// <summary>
/// Holds the answer to one query of a DbContext, once PostgreSQL has given it, until released: for a test that acts
/// between a domain operation's read and what the operation does with it.
/// </summary>
/// <param name="queryToHold">Which of the context's queries to hold, counted from 1.</param>
public sealed class HeldQueryAnswer(int queryToHold = 1) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queries;

    /// <summary>Completes once PostgreSQL has answered the held query.</summary>
    public Task Answered => _answered.Task;

    /// <summary>A context over the same database whose held query waits here.</summary>
    public SocialDbContext Open(DbContextOptions<SocialDbContext> options) =>
        new(new DbContextOptionsBuilder<SocialDbContext>(options).AddInterceptors(this).Options);

    public void Release() => _released.TrySetResult();

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _queries) == queryToHold)
        {
            _answered.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        return result;
    }
}
