using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Support;

/// <summary>The shared system's PostgreSQL, for tests that call a domain operation or set up rows directly.</summary>
public static class TestDatabase
{
    public static async Task<SocialDbContext> OpenAsync(SocialChatAppFixture fixture)
    {
        var options = new DbContextOptionsBuilder<SocialDbContext>().UseNpgsql(await fixture.GetConnectionStringAsync("socialdb"));
        SocialDbContextOptions.Configure(options);
        return new SocialDbContext(options.Options);
    }

    /// <summary>Users straight into the database, their ids in order: registering hundreds would spend the test on password hashes.</summary>
    public static Task<Guid[]> InsertUsersAsync(SocialChatAppFixture fixture, int count) =>
        InsertUsersAsync(fixture, [.. Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7())]);

    /// <summary>Users with these ids, inserted in this order (the order their rows take in the table).</summary>
    public static async Task<Guid[]> InsertUsersAsync(SocialChatAppFixture fixture, IReadOnlyList<Guid> ids)
    {
        await using var db = await OpenAsync(fixture);
        db.Users.AddRange(ids.Select(id =>
        {
            var username = $"m{Guid.NewGuid():N}"[..32];
            return new User { Id = id, Username = username, Email = $"{username}@example.com", NormalizedEmail = $"{username}@EXAMPLE.COM".ToUpperInvariant(), PasswordHash = "-", DisplayName = username };
        }));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return [.. ids.Order()];
    }
}
