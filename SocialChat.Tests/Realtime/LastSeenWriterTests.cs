using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Realtime;

/// <summary>
/// lastSeenAt of many users going offline at once is one UPDATE (<see cref="LastSeenWriter"/>), run here in the test's
/// own process over the shared system's PostgreSQL, so that the test can take row locks beside it.
/// </summary>
public sealed class LastSeenWriterTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_batch_of_users_going_offline_locks_their_rows_in_id_order_as_a_pair_lock_does()
    {
        // 2,000 users, then one whose id is lower than theirs but whose row lies after theirs in the table: a scan of
        // thousands of ids reads rows in the table's order, not the ids'.
        var users = await TestDatabase.InsertUsersAsync(fixture, 2_000);
        var lowest = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddYears(-1));
        await TestDatabase.InsertUsersAsync(fixture, [lowest]);

        using var node = await InProcessServices.BuildAsync(fixture);
        var writer = node.Services.GetRequiredService<LastSeenWriter>();
        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // A pair lock (follow, block) holds the lowest user's row and is about to take another's, in id order: the
        // batch must be waiting on the lowest row holding none of the others, or the two wait on each other.
        Task<DateTime> stored;
        await using (var pairLock = await LockWaits.HoldRowAsync(database, "users", lowest))
        {
            stored = writer.StoreAsync([.. users, lowest]);
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, pairLock), waiting => waiting == 1);
            await using var secondRow = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", database, pairLock) { Parameters = { new() { Value = users[0] } } };
            await secondRow.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            await pairLock.CommitAsync(TestContext.Current.CancellationToken);
        }

        await stored;
        await using var check = await TestDatabase.OpenAsync(fixture);
        Guid[] all = [.. users, lowest];
        Assert.Equal(all.Length, await check.Users.CountAsync(u => all.Contains(u.Id) && u.LastSeenAt != null, TestContext.Current.CancellationToken));
    }
}
