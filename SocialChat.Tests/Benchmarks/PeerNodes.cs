using System.Diagnostics;
using System.Globalization;
using System.Text;
using Aspire.Hosting.Orchestration;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Benchmarks;

/// <summary>
/// N processes of a reference server beside the test system, with its database, Redis and signing key, as
/// benchmarks/run.sh --peer starts them: the Node.js + Socket.IO peer (benchmarks/peer-socketio; the tests' build
/// installs its npm packages) or SignalR without SocialChat (benchmarks/signalr-floor; the tests' build builds it).
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

    public static Task<PeerNodes> StartSocketIoAsync(SocialChatAppFixture fixture, int count) =>
        StartAsync(fixture, count, port =>
        {
            var start = new ProcessStartInfo("node", "server.js") { WorkingDirectory = Path.Combine(TestEnvironment.RepositoryRoot, "benchmarks", "peer-socketio") };
            start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
            return start;
        });

    /// <param name="layers">What benchmarks/run.sh --floor-layers takes: "jwt", "backplane", both comma-separated, or none.</param>
    public static Task<PeerNodes> StartSignalRFloorAsync(SocialChatAppFixture fixture, int count, string layers) =>
        StartAsync(fixture, count, port =>
        {
            var directory = Path.Combine(TestEnvironment.RepositoryRoot, "benchmarks", "signalr-floor");
            var start = new ProcessStartInfo("dotnet", Path.Combine(directory, "bin", Orchestrator.BuildConfiguration, Orchestrator.TargetFramework, "SignalRFloor.dll"))
            {
                WorkingDirectory = directory,
            };
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["Layers"] = layers;
            return start;
        });

    private static async Task<PeerNodes> StartAsync(SocialChatAppFixture fixture, int count, Func<int, ProcessStartInfo> startOnPort)
    {
        var nodes = new PeerNodes();
        try
        {
            var urls = new List<Uri>();
            for (var node = 0; node < count; node++)
            {
                urls.Add(await nodes.StartNodeAsync(fixture, node, startOnPort));
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

    private async Task<Uri> StartNodeAsync(SocialChatAppFixture fixture, int node, Func<int, ProcessStartInfo> startOnPort)
    {
        var port = TestEnvironment.FreePort();
        var start = startOnPort(port);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["ConnectionStrings__socialdb"] = await fixture.GetConnectionStringAsync("socialdb");
        start.Environment["ConnectionStrings__cache"] = await fixture.GetConnectionStringAsync("cache");
        start.Environment["Jwt__SigningKey"] = fixture.App.EnvironmentOf("api", "Jwt__SigningKey");
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
                throw new InvalidOperationException($"Peer node {node} ({start.FileName} {start.Arguments}) did not start within {StartTimeout}:\n{Log}");
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
