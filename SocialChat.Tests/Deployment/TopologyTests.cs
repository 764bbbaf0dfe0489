using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using StackExchange.Redis;

namespace SocialChat.Tests.Deployment;

/// <summary>
/// The two-VPS topology on loopback, every piece started from the generated bundles: PostgreSQL, PgBouncer and
/// Redis from <c>db-vps/</c>, nginx from <c>main-vps/</c>, and Api, two Realtime instances and the Worker with
/// the environment of <c>socialchat.env.example</c> — so the services reach PostgreSQL through PgBouncer in
/// transaction pooling and the Worker migrates over the direct connection. Clients talk to nginx only.
/// </summary>
[Collection(BundleServers.Collection)]
public sealed class TopologyTests
{
    private const string WebClientOrigin = "https://app.example.test";

    [Fact]
    public async Task Two_users_chat_through_nginx_on_different_realtime_nodes_with_database_traffic_through_pgbouncer()
    {
        await using var servers = new BundleServers();
        var (postgresPassword, redisPassword, jwtSigningKey) = (Secret(), Secret(), Secret() + Secret());
        var (postgresStarted, redisStarted) = (servers.StartPostgresAsync(postgresPassword), servers.StartRedisAsync(redisPassword));
        var (postgres, redis) = (await postgresStarted, await redisStarted);
        var pgBouncer = await servers.StartPgBouncerAsync(postgres, postgresPassword);
        var environment = BundleServers.ServiceEnvironment(postgres, pgBouncer, redis, postgresPassword, redisPassword, jwtSigningKey, WebClientOrigin);

        // All at once, to keep the test short: the Worker is healthy only once it has migrated (over the direct
        // connection), and nobody uses the Api or the hub before every service is healthy.
        var services = await Task.WhenAll(
            servers.StartServiceAsync("Worker", 0, environment),
            servers.StartServiceAsync("Api", 0, environment),
            servers.StartServiceAsync("Realtime", 0, environment),
            servers.StartServiceAsync("Realtime", 1, environment));
        var (worker, api, realtime0, realtime1) = (services[0], services[1], services[2], services[3]);
        var (https, _) = await servers.StartNginxAsync([api.Port], [realtime0.Port, realtime1.Port]);
        var before = await SocialDbStatsAsync(pgBouncer, postgresPassword);

        HttpClient ThroughNginx() => new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = https };
        var alice = await RegisterAndLogInAsync(ThroughNginx);
        var bob = await RegisterAndLogInAsync(ThroughNginx);
        var conversation = await Chat.OpenDirectAsync(alice, bob);
        await using var aliceHub = await ConnectAsync(https, alice);
        await using var bobHub = await ConnectAsync(https, bob);

        // nginx's least_conn gave the second socket to the idle instance: each node keeps its own connection set in Redis.
        await using var cache = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis},password={redisPassword}");
        var aliceNode = await NodeOfAsync(cache, alice.Id);
        var bobNode = await NodeOfAsync(cache, bob.Id);
        Assert.NotEqual(aliceNode, bobNode);

        var hello = await aliceHub.Connection.InvokeAsync<MessageResponse>("SendMessage", conversation.Id, Guid.NewGuid(), "hello from node A", null);
        Assert.Equal("hello from node A", (await bobHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Id == hello.Id)).Body);
        var reply = await bobHub.Connection.InvokeAsync<MessageResponse>("SendMessage", conversation.Id, Guid.NewGuid(), "hello from node B", null);
        Assert.Equal("hello from node B", (await aliceHub.WaitForAsync<MessageResponse>("MessageReceived", m => m.Id == reply.Id)).Body);

        var history = await (await alice.Client.GetAsync($"/api/v1/conversations/{conversation.Id}/messages?after=0")).ReadAsync<Page<MessageResponse>>();
        Assert.Equal([("hello from node A", alice.Id, 1L), ("hello from node B", bob.Id, 2L)], history.Items.Select(m => (m.Body, m.SenderId, m.Seq)));

        // Everything above wrote and read PostgreSQL only through PgBouncer, one transaction per server connection loan.
        var after = await SocialDbStatsAsync(pgBouncer, postgresPassword);
        Assert.True(after.Transactions > before.Transactions && after.Queries > before.Queries,
            $"PgBouncer saw no new traffic: {before} then {after}");
        var pools = await BundleServers.PgBouncerAdminAsync(pgBouncer, postgresPassword, "SHOW POOLS");
        Assert.Equal(["transaction"], pools.Where(p => p["database"] == "socialdb").Select(p => p["pool_mode"]));
        // Each service holds its pooled connections to PgBouncer; only the Worker (migrations) may also hold one to PostgreSQL.
        foreach (var service in new[] { worker, api, realtime0, realtime1 })
        {
            Assert.Contains(pgBouncer, BundleServers.ConnectedPortsOf(service.ProcessId));
        }

        Assert.All(new[] { api, realtime0, realtime1 }, service => Assert.DoesNotContain(postgres, BundleServers.ConnectedPortsOf(service.ProcessId)));
    }

    private static async Task<TestUser> RegisterAndLogInAsync(Func<HttpClient> throughNginx)
    {
        var registered = await TestUser.RegisterAsync(throughNginx);
        using var anonymous = throughNginx();
        var login = await (await anonymous.PostJsonAsync("/api/v1/auth/login", new { login = registered.User.Username, password = registered.Password, deviceName = "topology test" }))
            .ReadAsync<AuthResult>();
        registered.Client.Dispose();
        return registered with { Auth = login, Client = TestUser.Authorized(throughNginx, login.AccessToken) };
    }

    private static Task<HubClient> ConnectAsync(Uri nginx, TestUser user) =>
        HubClient.ConnectAsync(nginx, user.AccessToken,
            configure: options => options.WebSocketConfiguration = socket => socket.RemoteCertificateValidationCallback = (_, _, _, _) => true);

    /// <summary>The Realtime node holding the user's one connection, from the per-node presence hashes in Redis.</summary>
    private static async Task<string> NodeOfAsync(ConnectionMultiplexer cache, Guid userId)
    {
        var database = cache.GetDatabase();
        var connection = Assert.Single(await database.SetMembersAsync(PresenceTracker.UserConnectionsKey(userId)));
        var server = cache.GetServer(cache.GetEndPoints().Single());
        var nodes = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: "presence:node:*:connections"))
        {
            if (await database.HashExistsAsync(key, connection))
            {
                nodes.Add(key.ToString());
            }
        }

        return Assert.Single(nodes);
    }

    private static async Task<(long Transactions, long Queries)> SocialDbStatsAsync(int pgBouncer, string password)
    {
        var stats = Assert.Single(await BundleServers.PgBouncerAdminAsync(pgBouncer, password, "SHOW STATS"), s => s["database"] == "socialdb");
        return (long.Parse(stats["total_xact_count"], CultureInfo.InvariantCulture), long.Parse(stats["total_query_count"], CultureInfo.InvariantCulture));
    }

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
}
