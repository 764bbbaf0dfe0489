using System.Diagnostics;
using System.Text;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>
/// The Node.js + Socket.IO peer (benchmarks/peer-socketio) as N processes beside the test system, with its database,
/// Redis and signing key, as benchmarks/run.sh starts them. The tests' build installs the peer's npm packages (npm ci).
/// </summary>
internal sealed class PeerNodes : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<Process> _processes = [];
    private readonly StringBuilder _log = new();

    private PeerNodes()
    {
    }

    public IReadOnlyList<Uri> Urls { get; private set; } = [];

    public IEnumerable<int> Pids => _processes.Select(p => p.Id);

    /// <summary>What the nodes wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<PeerNodes> StartAsync(SocialChatAppFixture fixture, int count)
    {
        var nodes = new PeerNodes();
        try
        {
            var urls = new List<Uri>();
            for (var node = 0; node < count; node++)
            {
                urls.Add(await nodes.StartNodeAsync(fixture, node));
            }

            nodes.Urls = urls;
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    private async Task<Uri> StartNodeAsync(SocialChatAppFixture fixture, int node)
    {
        var port = TestEnvironment.FreePort();
        var start = new ProcessStartInfo("node", "server.js")
        {
            WorkingDirectory = Path.Combine(TestEnvironment.RepositoryRoot, "benchmarks", "peer-socketio"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ConnectionStrings__socialdb"] = await fixture.GetConnectionStringAsync("socialdb");
        start.Environment["ConnectionStrings__cache"] = await fixture.GetConnectionStringAsync("cache");
        start.Environment["Jwt__SigningKey"] = fixture.EnvironmentOf("api", "Jwt__SigningKey");
        var process = Process.Start(start)!;
        _processes.Add(process);
        DataReceivedEventHandler append = (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine($"peer-{node}: {e.Data}");
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return url;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (process.HasExited || waited.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"Peer node {node} did not start within {StartTimeout}:\n{Log}");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }
}
