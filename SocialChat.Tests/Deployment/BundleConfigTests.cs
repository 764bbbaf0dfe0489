using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Deployment;

/// <summary>
/// The generated bundles run on the real servers: nginx with the generated site (a self-signed certificate in
/// place of Let's Encrypt) in front of the running services, and PgBouncer with the generated settings in
/// front of the running PostgreSQL, used with the services' own connection-string options.
/// </summary>
[Collection(BundleServers.Collection)]
public sealed class BundleConfigTests(SocialChatAppFixture fixture) : IAsyncDisposable
{
    private readonly BundleServers _servers = new();

    [Fact]
    public async Task The_generated_nginx_site_proxies_the_api_and_upgrades_hub_websockets()
    {
        var (https, http) = await _servers.StartNginxAsync(
            [fixture.GetEndpoint("api").Port], [fixture.GetEndpoint("realtime", 0).Port, fixture.GetEndpoint("realtime", 1).Port]);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var client = new HttpClient(handler) { BaseAddress = https };

        using var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var redirect = await plain.GetAsync(new Uri(http, "/api/v1/users/me"));
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized);
        // WebSockets only: a negotiated connection could not follow least_conn to the same node, so it is refused plainly.
        var negotiate = await ProblemAssert.IsProblemAsync(await client.PostAsync("/hubs/chat/negotiate?negotiateVersion=1", null), HttpStatusCode.BadRequest);
        Assert.Contains("skipNegotiation", negotiate.GetProperty("detail").GetString());
        var user = await TestUser.RegisterAsync(() => new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = https });

        await using var hub = await HubClient.ConnectAsync(https, user.AccessToken,
            configure: options => options.WebSocketConfiguration = socket => socket.RemoteCertificateValidationCallback = (_, _, _, _) => true);
        var presence = await hub.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { user.Id });
        Assert.True(Assert.Single(presence).Online);
    }

    [Fact]
    public async Task A_hub_connect_that_a_stopping_instance_refuses_is_passed_to_the_next_one()
    {
        // An instance that answers every request as a stopping Realtime node does; least_conn favours it, as it holds nothing.
        await using var stopping = StoppingInstance.Start();
        var (https, _) = await _servers.StartNginxAsync([fixture.GetEndpoint("api").Port], [stopping.Port, fixture.GetEndpoint("realtime", 0).Port]);
        var user = await TestUser.RegisterAsync(fixture);

        var hubs = new List<HubClient>();
        for (var i = 0; i < 4; i++)
        {
            hubs.Add(await HubClient.ConnectAsync(https, user.AccessToken,
                configure: options => options.WebSocketConfiguration = socket => socket.RemoteCertificateValidationCallback = (_, _, _, _) => true));
        }

        Assert.True(stopping.Refused > 0, "nginx never chose the stopping instance, so nothing was passed on");
        var presence = await hubs[^1].Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { user.Id });
        Assert.True(Assert.Single(presence).Online);
        foreach (var hub in hubs)
        {
            await hub.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_generated_pgbouncer_settings_pool_transactions_for_the_services_connection_options()
    {
        var direct = new NpgsqlConnectionStringBuilder(await fixture.GetConnectionStringAsync("socialdb"));
        var port = await _servers.StartPgBouncerAsync(direct.Port, direct.Password!);

        // The services' connection string as the bundle's env file gives it (Redis and the JWT key play no part here).
        var pooled = BundleServers.ServiceEnvironment(direct.Port, port, 6379, direct.Password!, "unused", "unused", "https://app.example.test")["ConnectionStrings__socialdb"];
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(pooled);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM users", connection, transaction);
            await count.ExecuteScalarAsync();
            await transaction.CommitAsync();
        }));

        var pools = await BundleServers.PgBouncerAdminAsync(port, direct.Password!, "SHOW POOLS");
        Assert.Equal(["transaction"], pools.Where(p => p["database"] == "socialdb").Select(p => p["pool_mode"]));
    }

    public ValueTask DisposeAsync() => _servers.DisposeAsync();

    /// <summary>Answers every request 503 and closes, as a Realtime node does for new hub connections once it is stopping.</summary>
    private sealed class StoppingInstance : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;
        private int _refused;

        private StoppingInstance()
        {
            _listener.Start();
            _serving = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Refused => Volatile.Read(ref _refused);

        public static StoppingInstance Start() => new();

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                // The request head is read whole before answering, so nginx sees a response, not a reset.
                using var reader = new StreamReader(stream, leaveOpen: true);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
                {
                }

                await stream.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                Interlocked.Increment(ref _refused);
            }
        }
    }
}
