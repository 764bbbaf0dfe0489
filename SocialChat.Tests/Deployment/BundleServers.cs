using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Aspire.Hosting.Orchestration;
using Npgsql;

namespace SocialChat.Tests.Deployment;

/// <summary>
/// Real servers started from the generated bundles in <c>aspire-manifest/</c>, adapted only as a test must be:
/// loopback, free ports, a throw-away folder, a self-signed certificate in place of Let's Encrypt. Each adaptation
/// names the generated line it replaces, so a bundle that changes shape fails here rather than going untested.
/// Disposing stops every server (gracefully, then by force) and deletes the folder.
/// </summary>
public sealed class BundleServers : IAsyncDisposable
{
    public static readonly string Bundles = Path.Combine(TestEnvironment.RepositoryRoot, "aspire-manifest");

    /// <summary>
    /// The test classes that start bundle servers run one at a time: a topology start (four services, migrations)
    /// beside another class's nginx on a 2-core machine can push a request past nginx's 60 s proxy timeout.
    /// </summary>
    public const string Collection = "Bundle servers";

    // Generous: the machine may be shared with other builds and test runs.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly Prerequisites Binaries = new(searchPaths: null);

    // Servers start concurrently; each is added under a lock.
    private readonly List<(string Name, Process Process, int StopSignal)> _servers = [];
    private readonly ConcurrentQueue<string> _log = new();

    public BundleServers()
    {
        // PostgreSQL and PgBouncer run as the postgres user, who must be able to reach their folders.
        File.SetUnixFileMode(Folder, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("socialchat-bundle-").FullName;

    /// <summary>Everything the servers printed, for failure messages.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>PostgreSQL with the generated <c>postgresql.conf</c> (as the compose file runs it); returns its port.</summary>
    public async Task<int> StartPostgresAsync(string password)
    {
        var port = TestEnvironment.FreePort();
        var data = Path.Combine(Folder, "postgres-data");
        var passwordFile = Path.Combine(Folder, "postgres.pwfile");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(passwordFile, password);
        await RunAsync("chown", "-R", "postgres:", data, passwordFile);
        await RunAsPostgresAsync(Path.Combine(Binaries.PostgresBinDirectory, "initdb"),
            "-D", data, "-U", "postgres", $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions");
        File.Delete(passwordFile);

        var config = Adapt(await File.ReadAllTextAsync(Path.Combine(Bundles, "db-vps/postgresql.conf")),
            ("listen_addresses = '*'", "listen_addresses = '127.0.0.1'"),
            ("port = 5432", $"port = {port}"),
            // Sized for a 16 GiB VPS; this machine is shared with other test runs.
            ("shared_buffers = 4GB", "shared_buffers = 128MB"))
            + "unix_socket_directories = ''\n";
        var configFile = Path.Combine(Folder, "postgresql.conf");
        await File.WriteAllTextAsync(configFile, config);
        Start("postgres", AsPostgres(Path.Combine(Binaries.PostgresBinDirectory, "postgres"), "-D", data, "-c", $"config_file={configFile}"), Posix.SigInt);
        await WaitUntilListeningAsync(port);

        // The compose file's POSTGRES_DB, and install-native.sh's createdb.
        await using var connection = await OpenWhenAcceptingAsync(DirectConnectionString(port, password, "postgres"));
        await using var create = new NpgsqlCommand("CREATE DATABASE socialdb", connection);
        await create.ExecuteNonQueryAsync();
        return port;
    }

    /// <summary>PgBouncer with the generated <c>pgbouncer.ini</c> in front of PostgreSQL, its userlist made as make-userlist.sh makes it; returns its port.</summary>
    public async Task<int> StartPgBouncerAsync(int postgresPort, string password)
    {
        var port = TestEnvironment.FreePort();
        string userlist;
        await using (var connection = new NpgsqlConnection(DirectConnectionString(postgresPort, password, "postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'", connection);
            userlist = (string)(await command.ExecuteScalarAsync())!;
        }

        var bouncer = Path.Combine(Folder, "pgbouncer");
        Directory.CreateDirectory(bouncer);
        var ini = Adapt(await File.ReadAllTextAsync(Path.Combine(Bundles, "db-vps/pgbouncer.ini")),
            ("host=postgres port=5432", $"host=127.0.0.1 port={postgresPort}"),
            ("listen_addr = 0.0.0.0", "listen_addr = 127.0.0.1"),
            ("listen_port = 6432", $"listen_port = {port}"),
            // The admin console (SHOW STATS, SHOW POOLS) is how the tests see what went through it.
            ("auth_file = /etc/pgbouncer/userlist.txt", $"auth_file = {bouncer}/userlist.txt\nunix_socket_dir =\nadmin_users = postgres"));
        await File.WriteAllTextAsync(Path.Combine(bouncer, "pgbouncer.ini"), ini);
        await File.WriteAllTextAsync(Path.Combine(bouncer, "userlist.txt"), userlist + "\n");
        await RunAsync("chown", "-R", "postgres:", bouncer);
        // PgBouncer, like PostgreSQL, will not run as root.
        Start("pgbouncer", AsPostgres(File.Exists("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : "pgbouncer", Path.Combine(bouncer, "pgbouncer.ini")), Posix.SigTerm);
        await WaitUntilListeningAsync(port);
        return port;
    }

    /// <summary>Redis with the generated <c>redis.conf</c>, the password given on the command line as the compose file does; returns its port.</summary>
    public async Task<int> StartRedisAsync(string password)
    {
        var port = TestEnvironment.FreePort();
        var data = Path.Combine(Folder, "redis-data");
        Directory.CreateDirectory(data);
        var config = Adapt(await File.ReadAllTextAsync(Path.Combine(Bundles, "db-vps/redis.conf")),
            ("bind 0.0.0.0", "bind 127.0.0.1"),
            ("port 6379", $"port {port}"))
            + $"dir {data}\n";
        var configFile = Path.Combine(Folder, "redis.conf");
        await File.WriteAllTextAsync(configFile, config);
        Start("redis", [Binaries.RedisServer, configFile, "--requirepass", password], Posix.SigTerm);
        await WaitUntilListeningAsync(port);
        return port;
    }

    /// <summary>
    /// nginx with the generated sites in front of these Api and Realtime ports, behind a self-signed certificate
    /// (<c>nginx -t</c> must pass first); returns the HTTPS and the HTTP address.
    /// </summary>
    public async Task<(Uri Https, Uri Http)> StartNginxAsync(IReadOnlyList<int> apiPorts, IReadOnlyList<int> realtimePorts)
    {
        var (httpPort, httpsPort) = (TestEnvironment.FreePort(), TestEnvironment.FreePort());
        var nginx = Path.Combine(Folder, "nginx");
        Directory.CreateDirectory(nginx);
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", Path.Combine(nginx, "key.pem"), "-out", Path.Combine(nginx, "cert.pem"));
        // Both sites enabled, as on the Main VPS once the certificate exists.
        var generated = await File.ReadAllTextAsync(Path.Combine(Bundles, "main-vps/nginx/socialchat-http.conf"))
            + await File.ReadAllTextAsync(Path.Combine(Bundles, "main-vps/nginx/socialchat.conf"));
        var site = Adapt(generated,
            ("listen 80;", $"listen 127.0.0.1:{httpPort};"),
            ("listen 443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;"),
            ("/etc/letsencrypt/live/chat.example.com/fullchain.pem", Path.Combine(nginx, "cert.pem")),
            ("/etc/letsencrypt/live/chat.example.com/privkey.pem", Path.Combine(nginx, "key.pem")),
            ("server_name chat.example.com;", "server_name localhost;"));
        // The deployed upstreams (Api 5080+, Realtime 5090+) point at this run's instances instead; the rest of each block stays.
        site = ReplaceUpstreamServers(site, "socialchat_api", apiPorts);
        site = ReplaceUpstreamServers(site, "socialchat_realtime", realtimePorts);
        await File.WriteAllTextAsync(Path.Combine(nginx, "site.conf"), site);
        // The generated nginx.conf is the Main VPS's own (www-data, /run, /etc/nginx); this one holds the site the same way.
        var main = Path.Combine(nginx, "nginx.conf");
        await File.WriteAllTextAsync(main, $$"""
            daemon off;
            pid {{nginx}}/nginx.pid;
            error_log {{nginx}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{nginx}}/body;
                proxy_temp_path {{nginx}}/proxy;
                fastcgi_temp_path {{nginx}}/fastcgi;
                uwsgi_temp_path {{nginx}}/uwsgi;
                scgi_temp_path {{nginx}}/scgi;
                include {{nginx}}/site.conf;
            }
            """);

        var binary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        await RunAsync(binary, "-t", "-p", nginx, "-c", main);
        Start("nginx", [binary, "-p", nginx, "-c", main], Posix.SigTerm);
        await WaitUntilListeningAsync(httpsPort);
        return (new Uri($"https://localhost:{httpsPort}"), new Uri($"http://localhost:{httpPort}"));
    }

    /// <summary>
    /// A service as its systemd unit runs it: <c>socialchat.env</c> (given, filled in) plus the unit's own
    /// <c>Environment=</c> lines for instance <paramref name="instance"/>, listening on a free port; returns
    /// that port and the process id once <c>/health</c> answers 200. It runs the build output of the tests' configuration (what the
    /// app host runs too), not a fresh <c>dotnet publish</c>, which would cost this test a minute more.
    /// </summary>
    public async Task<(int Port, int ProcessId)> StartServiceAsync(string project, int instance, IReadOnlyDictionary<string, string> environment)
    {
        var name = project.ToLowerInvariant();
        var port = TestEnvironment.FreePort();
        var unitFile = Path.Combine(Bundles, "main-vps/systemd", name == "worker" ? "socialchat-worker.service" : $"socialchat-{name}@.service");
        var unit = File.ReadLines(unitFile)
            .Where(line => line.StartsWith("Environment=", StringComparison.Ordinal))
            .Select(line => line["Environment=".Length..].Replace("%i", instance.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Split('=', 2));
        var output = Path.Combine(TestEnvironment.RepositoryRoot, $"SocialChat.{project}", "bin", Orchestrator.BuildConfiguration, Orchestrator.TargetFramework);

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = output, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(output, $"SocialChat.{project}.dll"));
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        foreach (var pair in unit)
        {
            start.Environment[pair[0]] = pair[1];
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var process = Start($"{name}-{instance}", start, Posix.SigTerm);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            Assert.False(process.HasExited, $"{name}-{instance} exited with {(process.HasExited ? process.ExitCode : 0)}:\n{Log}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode)
                {
                    return (port, process.Id);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{name}-{instance} was not healthy within {StartTimeout}:\n{Log}");
            await Task.Delay(250);
        }
    }

    /// <summary>The Main VPS's <c>socialchat.env.example</c> with every placeholder filled in for servers on this machine.</summary>
    public static Dictionary<string, string> ServiceEnvironment(
        int postgresPort, int pgBouncerPort, int redisPort, string postgresPassword, string redisPassword, string jwtSigningKey, string webClientOrigin)
    {
        var placeholders = new Dictionary<string, string>
        {
            ["<DB_VPS_PRIVATE_IP>"] = "127.0.0.1",
            ["<POSTGRES_PASSWORD>"] = postgresPassword,
            ["<REDIS_PASSWORD>"] = redisPassword,
            ["<JWT_SIGNING_KEY>"] = jwtSigningKey,
            ["<WEB_CLIENT_ORIGIN, e.g. https://app.example.com>"] = webClientOrigin,
        };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Bundles, "main-vps/socialchat.env.example")).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var (key, value) = (line[..line.IndexOf('=')], line[(line.IndexOf('=') + 1)..]);
            // Ports first, while the value holds only placeholders: a generated secret could contain those digits.
            value = value.Replace("6432", pgBouncerPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("5432", postgresPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("6379", redisPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            environment[key] = placeholders.Aggregate(value, (text, p) => text.Replace(p.Key, p.Value, StringComparison.Ordinal));
            Assert.DoesNotContain("<", environment[key]);
        }

        return environment;
    }

    /// <summary>A command on PgBouncer's admin console, which speaks only the simple query protocol (psql does; Npgsql does not).</summary>
    public static async Task<List<Dictionary<string, string>>> PgBouncerAdminAsync(int port, string password, string command)
    {
        var output = await RunAsync("psql", "-AF", "|", "-c", command, $"host=127.0.0.1 port={port} user=postgres password={password} dbname=pgbouncer");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var columns = lines[0].Split('|');
        // Header, rows, then "(N rows)".
        return [.. lines[1..^1].Select(line => columns.Zip(line.Split('|')).ToDictionary(c => c.First, c => c.Second))];
    }

    /// <summary>The ports a process holds established TCP connections to: its socket inodes looked up in <c>/proc/net/tcp</c>.</summary>
    public static HashSet<int> ConnectedPortsOf(int processId)
    {
        var sockets = Directory.GetFiles($"/proc/{processId}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target!["socket:[".Length..^1])
            .ToHashSet();
        // Columns: sl, local address, remote address (hex IP:port), state (01 = established), …, inode (the tenth).
        return [.. File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns[3] == "01" && sockets.Contains(columns[9]))
            .Select(columns => int.Parse(columns[2].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture))];
    }

    public static string DirectConnectionString(int port, string password, string database) =>
        // Not pooled: the test's own connections must not keep PostgreSQL from a fast shutdown or show up as services' traffic.
        $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database={database};Pooling=false";

    public static async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, RedirectStandardOutput = true };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed: {await error}{output}");
        return output;
    }

    public async ValueTask DisposeAsync()
    {
        // Services first, then what they use: the reverse of the start order.
        foreach (var (_, process, signal) in Enumerable.Reverse(_servers))
        {
            if (!process.HasExited)
            {
                Posix.Signal(process.Id, signal);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }

            process.Dispose();
        }

        Directory.Delete(Folder, recursive: true);
    }

    /// <summary>Replaces each generated line with its test form, failing when the generated file no longer has it.</summary>
    private static string Adapt(string text, params (string Generated, string Test)[] replacements)
    {
        foreach (var (generated, test) in replacements)
        {
            Assert.True(text.Contains(generated, StringComparison.Ordinal), $"The generated bundle no longer contains \"{generated}\".");
            text = text.Replace(generated, test, StringComparison.Ordinal);
        }

        return text;
    }

    private static string ReplaceUpstreamServers(string site, string upstream, IReadOnlyList<int> ports)
    {
        var servers = string.Concat(ports.Select(p => $"    server 127.0.0.1:{p};\n"));
        var block = new Regex($@"(upstream {upstream} \{{\n)((?:[^}}\n]*\n)*?)\}}");
        var match = block.Match(site);
        Assert.True(match.Success, $"The generated site has no upstream {upstream}.");
        var kept = string.Concat(match.Groups[2].Value.Split('\n').Where(l => l.Length > 0 && !l.TrimStart().StartsWith("server ", StringComparison.Ordinal)).Select(l => l + "\n"));
        return site.Remove(match.Index, match.Length).Insert(match.Index, match.Groups[1].Value + kept + servers + "}");
    }

    private static string[] AsPostgres(string fileName, params string[] arguments) =>
        ["setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", fileName, .. arguments];

    private static Task<string> RunAsPostgresAsync(string fileName, params string[] arguments)
    {
        var command = AsPostgres(fileName, arguments);
        return RunAsync(command[0], command[1..]);
    }

    private void Start(string name, string[] command, int stopSignal)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        command[1..].ToList().ForEach(start.ArgumentList.Add);
        Start(name, start, stopSignal);
    }

    private Process Start(string name, ProcessStartInfo start, int stopSignal)
    {
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Record(name, e.Data);
        process.ErrorDataReceived += (_, e) => Record(name, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        lock (_servers)
        {
            _servers.Add((name, process, stopSignal));
        }

        return process;
    }

    private void Record(string name, string? line)
    {
        if (line is not null)
        {
            _log.Enqueue($"[{name}] {line}");
        }
    }

    /// <summary>
    /// PostgreSQL listens before it has finished starting (crash recovery, the first checkpoint) and refuses
    /// connections with 57P03 until then.
    /// </summary>
    private static async Task<NpgsqlConnection> OpenWhenAcceptingAsync(string connectionString)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync();
                return connection;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CannotConnectNow && DateTime.UtcNow < deadline)
            {
                await connection.DisposeAsync();
                await Task.Delay(200);
            }
        }
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        for (var attempt = 0; attempt < 300; attempt++)
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

        throw new TimeoutException($"Nothing listens on port {port}:\n{Log}");
    }
}
