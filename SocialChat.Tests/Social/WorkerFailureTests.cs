using Npgsql;
using SocialChat.Data.Notifications;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Social;

/// <summary>On a system of its own, since it kills the Worker.</summary>
public sealed class WorkerFailureTests
{
    [Fact]
    public async Task A_worker_killed_during_fan_out_and_restarted_delivers_every_post_exactly_once()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var author = await TestUser.RegisterAsync(app);
        var readers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => TestUser.RegisterAsync(app)));
        foreach (var reader in readers)
        {
            await SocialSteps.FollowAsync(reader, author);
            Assert.Empty(await SocialSteps.FeedAsync(reader));
        }

        // Jobs queue up in the outbox while the Worker is down, then it dies again while working through them.
        await app.StopInstanceAsync("worker");
        var posts = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            posts.Add((await SocialSteps.PostAsync(author, $"post {i}")).Id);
        }

        app.StartInstance("worker");
        await app.ResourceNotifications.WaitForResourceAsync("worker", s => s.State == "Running");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        app.KillInstance("worker");
        await app.ResourceNotifications.WaitForResourceAsync("worker", s => s.State == "Exited");
        app.StartInstance("worker");

        foreach (var reader in readers)
        {
            // A restarted Worker on a busy 2-core CI machine can take well over the usual 15 s to drain the outbox.
            var feed = await SocialSteps.FeedWhenAsync(reader, f => f.Count >= posts.Count, TimeSpan.FromSeconds(90));
            Assert.Equal(posts.AsEnumerable().Reverse(), feed.Select(p => p.Id));
        }
    }

    [Fact]
    public async Task A_worker_killed_while_notifying_offline_members_notifies_them_once_restarted()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync(new Dictionary<string, string> { ["MessageNotifications__Lease"] = "00:00:03" });
        var (sender, offline) = (await TestUser.RegisterAsync(app), await TestUser.RegisterAsync(app));
        var direct = await Chat.OpenDirectAsync(sender, offline);
        await using var database = new NpgsqlConnection(await app.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // The Worker takes the conversation and waits to read the notifications; it dies there.
        await using (var hold = await database.BeginTransactionAsync())
        {
            await using (var lockNotifications = new NpgsqlCommand("LOCK TABLE notifications IN ACCESS EXCLUSIVE MODE", database, hold))
            {
                await lockNotifications.ExecuteNonQueryAsync();
            }

            await Chat.SendAsync(sender, direct.Id, "are you there?");
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 1);
            app.KillInstance("worker");
            await app.ResourceNotifications.WaitForResourceAsync("worker", s => s.State == "Exited");
        }

        app.StartInstance("worker");

        // Once the lease of the dead Worker's pass has ended (a restart on a busy machine takes a while of its own).
        var notified = await Eventually.HoldsAsync(() => SocialSteps.NotificationsAsync(offline), n => n.Count == 1, TimeSpan.FromSeconds(60));
        var notification = Assert.Single(notified);
        Assert.Equal((NotificationKind.Message, direct.Id, sender.Id), (notification.Kind, notification.ConversationId, notification.Actor.Id));
    }
}
