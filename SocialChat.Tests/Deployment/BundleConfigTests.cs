using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Deployment;

/// <summary>
/// The generated bundles run on the real servers: nginx with the generated site (a self-signed certificate in
/// place of Let's Encrypt) in front of the running services, and PgBouncer with the generated settings in
/// front of the running PostgreSQL, used with the services' own connection-string options.
/// </summary>
public sealed class BundleConfigTests(SocialChatAppFixture fixture) : IDisposable
{
    private static readonly string Bundles = Path.Combine(TestEnvironment.RepositoryRoot, "aspire-manifest");
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("socialchat-bundle-");
    private readonly List<Process> _servers = [];

    [Fact]
    public async Task The_generated_nginx_site_proxies_the_api_and_upgrades_hub_websockets()
    {
        var (httpPort, httpsPort) = (TestEnvironment.FreePort(), TestEnvironment.FreePort());
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", Path.Combine(_work.FullName, "key.pem"), "-out", Path.Combine(_work.FullName, "cert.pem"));
        var api = fixture.GetEndpoint("api");
        var site = File.ReadAllText(Path.Combine(Bundles, "main-vps/nginx/socialchat.conf"))
            .Replace("listen 80;", $"listen 127.0.0.1:{httpPort};")
            .Replace("listen 443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;")
            .Replace("/etc/letsencrypt/live/chat.example.com/fullchain.pem", Path.Combine(_work.FullName, "cert.pem"))
            .Replace("/etc/letsencrypt/live/chat.example.com/privkey.pem", Path.Combine(_work.FullName, "key.pem"))
            .Replace("server_name chat.example.com;", "server_name localhost;");
        // The deployed upstreams (Api 5080+, Realtime 5090+) point at this run's instances instead.
        site = System.Text.RegularExpressions.Regex.Replace(site, @"upstream socialchat_api \{[^}]*\}",
            $"upstream socialchat_api {{\n    server 127.0.0.1:{api.Port};\n    keepalive 64;\n}}");
        site = System.Text.RegularExpressions.Regex.Replace(site, @"(upstream socialchat_realtime \{\s*ip_hash;)[^}]*\}",
            $"$1\n    server 127.0.0.1:{fixture.GetEndpoint("realtime", 0).Port};\n    server 127.0.0.1:{fixture.GetEndpoint("realtime", 1).Port};\n}}");
        File.WriteAllText(Path.Combine(_work.FullName, "site.conf"), site);
        var temp = _work.FullName;
        File.WriteAllText(Path.Combine(temp, "nginx.conf"), $$"""
            daemon off;
            pid {{temp}}/nginx.pid;
            error_log {{temp}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{temp}}/body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                include {{temp}}/site.conf;
            }
            """);

        await RunAsync(Nginx, "-t", "-p", temp, "-c", Path.Combine(temp, "nginx.conf"));
        Start(Nginx, "-p", temp, "-c", Path.Combine(temp, "nginx.conf"));
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var https = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{httpsPort}") };
        await WaitUntilListeningAsync(httpsPort);

        var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }).GetAsync($"http://localhost:{httpPort}/api/v1/users/me");
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        await ProblemAssert.IsProblemAsync(await https.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized);
        var name = TestUser.UniqueName("nginx");
        var auth = await (await https.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}@example.com", password = TestUser.DefaultPassword }))
            .ReadAsync<SocialChat.Data.Auth.AuthResult>();

        await using var hub = new HubConnectionBuilder()
            .WithUrl($"https://localhost:{httpsPort}/hubs/chat", options =>
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(auth.AccessToken);
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.WebSocketConfiguration = socket => socket.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            })
            .AddJsonProtocol(options => ContractJson.Apply(options.PayloadSerializerOptions))
            .Build();
        await hub.StartAsync();
        var presence = await hub.InvokeAsync<List<SocialChat.Data.Realtime.PresenceResponse>>("SubscribePresence", new[] { auth.User.Id });
        Assert.True(Assert.Single(presence).Online);
    }

    [Fact]
    public async Task The_generated_pgbouncer_settings_pool_transactions_for_the_services_connection_options()
    {
        var direct = new NpgsqlConnectionStringBuilder(await fixture.GetConnectionStringAsync("socialdb"));
        var port = TestEnvironment.FreePort();
        string userlist;
        await using (var connection = new NpgsqlConnection(direct.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'", connection);
            userlist = (string)(await command.ExecuteScalarAsync())!;
        }

        var ini = File.ReadAllText(Path.Combine(Bundles, "db-vps/pgbouncer.ini"))
            .Replace("host=postgres port=5432", $"host=127.0.0.1 port={direct.Port}")
            .Replace("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1")
            .Replace("listen_port = 6432", $"listen_port = {port}")
            .Replace("auth_file = /etc/pgbouncer/userlist.txt", $"auth_file = {_work.FullName}/userlist.txt\nunix_socket_dir =\nadmin_users = postgres");
        File.WriteAllText(Path.Combine(_work.FullName, "pgbouncer.ini"), ini);
        File.WriteAllText(Path.Combine(_work.FullName, "userlist.txt"), userlist + "\n");
        // PgBouncer, like PostgreSQL, will not run as root.
        await RunAsync("chown", "-R", "postgres:", _work.FullName);
        File.SetUnixFileMode(_work.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
        Start("setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", PgBouncer, Path.Combine(_work.FullName, "pgbouncer.ini"));
        await WaitUntilListeningAsync(port);

        var pooled = $"Host=127.0.0.1;Port={port};Username=postgres;Password={direct.Password};Database=socialdb;No Reset On Close=true;Max Auto Prepare=0";
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(pooled);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM users", connection, transaction);
            await count.ExecuteScalarAsync();
            await transaction.CommitAsync();
        }));

        // The admin console speaks only the simple query protocol, which psql uses and Npgsql does not.
        var pools = await RunAsync("psql", "-Atc", "SHOW POOLS", $"host=127.0.0.1 port={port} user=postgres password={direct.Password} dbname=pgbouncer");
        var modes = pools.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith("socialdb|", StringComparison.Ordinal)).Select(line => line.Split('|')[^1]);

        Assert.Equal(["transaction"], modes);
    }

    public void Dispose()
    {
        foreach (var server in _servers.Where(s => !s.HasExited))
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }

        _work.Delete(recursive: true);
    }

    private static string Nginx => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    private static string PgBouncer => File.Exists("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : "pgbouncer";

    private void Start(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, RedirectStandardOutput = true };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _servers.Add(process);
    }

    private static async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, RedirectStandardOutput = true };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed: {await error}");
        return output;
    }

    private static async Task WaitUntilListeningAsync(int port)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Nothing listens on port {port}.");
    }
}
