using Aspire.Hosting;
using Npgsql;
using SocialChat.Data.Auth;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;
using SocialChat.Tests.Reliability;
using StackExchange.Redis;

namespace SocialChat.Tests.Realtime;

/// <summary>
/// Changes that meet a device connecting: a membership change looks for the member's connections in presence, which
/// records a connection only after it has joined the groups of the conversations it read; a sign-out looks for the
/// session's connections among those each node has registered. A connect is held between the steps (Redis's writes
/// paused, or the memberships table locked), so these run on systems of their own.
/// </summary>
[Collection(FaultTests.Collection)]
public sealed class ConnectRaceTests
{
    [Fact]
    public async Task Membership_changes_that_meet_a_device_connecting_take_effect_on_it()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var (owner, member, control) = (await TestUser.RegisterAsync(app), await TestUser.RegisterAsync(app), await TestUser.RegisterAsync(app));
        var leaving = await Chat.CreateGroupAsync(owner, member, control);
        // With no one connected, the addition has no event to announce while Redis's writes pause: an announcement waiting
        // there would hold back the Api's next Redis reads, the removal's look-up among them.
        var joining = await Chat.CreateGroupAsync(owner, await TestUser.RegisterAsync(app));
        // The control listens on the other node, so that the member's node subscribes to the group's channel only for
        // the member's connection: that subscription shows the connect has read its conversations.
        await using var controlHub = await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 1), control.AccessToken);
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("cache")) + ",allowAdmin=true");
        var server = redis.GetServers().Single();
        var leavingChannel = Assert.Single(await server.SubscriptionChannelsAsync(RedisChannel.Pattern($"*:group:{ChatGroups.Conversation(leaving.Id)}")));
        var databaseConnectionString = await app.GetConnectionStringAsync("socialdb");
        await using var database = new NpgsqlConnection(databaseConnectionString);
        await using var secondDatabase = new NpgsqlConnection(databaseConnectionString);
        await database.OpenAsync();
        await secondDatabase.OpenAsync();

        // The addition and the removal wait on their groups' rows. Redis's writes pause, and the member's device connects:
        // it joins its groups (subscriptions, not writes) and waits on its presence write. The two changes then commit
        // one after the other, the addition first, and each looks for the member's connections while that write still
        // waits.
        await using var holdJoining = await LockWaits.HoldRowAsync(database, "conversations", joining.Id);
        await using var holdLeaving = await LockWaits.HoldRowAsync(secondDatabase, "conversations", leaving.Id);
        var addition = owner.Client.PostJsonAsync($"/api/v1/conversations/{joining.Id}/members", new { userIds = new[] { member.Id } });
        var removal = owner.Client.DeleteAsync($"/api/v1/conversations/{leaving.Id}/members/{member.Id}");
        await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, holdJoining), waiting => waiting == 1);
        await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(secondDatabase, holdLeaving), waiting => waiting == 1);
        Task<HubClient> connecting;
        await server.ExecuteAsync("CLIENT", "PAUSE", "5000", "WRITE");
        try
        {
            connecting = HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 0), member.AccessToken);
            await Eventually.HoldsAsync(() => server.SubscriptionSubscriberCountAsync(leavingChannel), subscribers => subscribers == 2);
            await holdJoining.RollbackAsync();
            await Eventually.HoldsAsync(() => IsMemberAsync(database, joining.Id, member.Id), isMember => isMember);
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            await holdLeaving.RollbackAsync();
            await Eventually.HoldsAsync(() => IsMemberAsync(database, leaving.Id, member.Id), isMember => !isMember);
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }
        finally
        {
            await server.ExecuteAsync("CLIENT", "UNPAUSE");
        }

        await using var device = await connecting;
        Assert.Equal(HttpStatusCode.NoContent, (await removal).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await addition).StatusCode);

        // The group left goes on for the control alone; the group joined reaches the device, after the other's message.
        var afterRemoval = await Chat.SendAsync(owner, leaving.Id, "after the removal");
        await controlHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Id == afterRemoval.Id);
        var afterAddition = await Chat.SendAsync(owner, joining.Id, "after the addition");
        await device.WaitForAsync<MessageResponse>("MessageReceived", m => m.Id == afterAddition.Id);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.DoesNotContain(device.Received<MessageResponse>("MessageReceived"), m => m.ConversationId == leaving.Id);
    }

    [Fact]
    public async Task A_sign_out_that_meets_a_device_connecting_closes_it()
    {
        // The sweep of ended sessions, the backstop for a lost announcement, is kept out of the way.
        await using var app = await SocialChatAppFixture.StartAppAsync(new Dictionary<string, string> { ["Presence__EndedSessionSweepInterval"] = "00:10:00" });
        var user = await TestUser.RegisterAsync(app);
        var node = app.GetEndpoint("realtime", "http", 0);
        // The signed-out session's device already connected: its close shows that the node has handled the sign-out.
        await using var connected = await HubClient.ConnectAsync(node, user.Auth.AccessToken);
        using var other = await SignInAgainAsync(app, user);
        var signedOut = Assert.Single(await (await other.GetAsync("/api/v1/auth/sessions")).ReadAsync<List<SessionResponse>>(), s => !s.Current);
        await using var database = new NpgsqlConnection(await app.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // A second device of the signed-out session connects, and waits to read its conversations until the sign-out is
        // handled.
        Task<HubClient> connecting;
        await using (var hold = await database.BeginTransactionAsync())
        {
            await using (var lockMemberships = new NpgsqlCommand("LOCK TABLE conversation_members IN ACCESS EXCLUSIVE MODE", database, hold))
            {
                await lockMemberships.ExecuteNonQueryAsync();
            }

            connecting = HubClient.ConnectAsync(node, user.Auth.AccessToken);
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 1);
            Assert.Equal(HttpStatusCode.NoContent, (await other.DeleteAsync($"/api/v1/auth/sessions/{signedOut.Id}")).StatusCode);
            await connected.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await hold.RollbackAsync();
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => connecting);
        Assert.Contains("signed out", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/users/me")).StatusCode);
    }

    private static async Task<HttpClient> SignInAgainAsync(DistributedApplication app, TestUser user)
    {
        using var anonymous = app.CreateHttpClient("api");
        using var login = await anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password });
        return TestUser.Authorized(app, (await login.ReadAsync<AuthResult>()).AccessToken);
    }

    private static async Task<bool> IsMemberAsync(NpgsqlConnection database, Guid conversationId, Guid userId)
    {
        await using var query = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2)", database)
        {
            Parameters = { new() { Value = conversationId }, new() { Value = userId } },
        };
        return (bool)(await query.ExecuteScalarAsync())!;
    }
}
