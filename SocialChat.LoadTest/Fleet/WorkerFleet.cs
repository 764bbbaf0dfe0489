using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// The coordinator's worker processes: copies of this tool, each given ≤ <see cref="LoadTestOptions.PerWorker"/>
/// users and its own source addresses, talking JSON lines over stdin/stdout. Stderr goes to a log per worker.
/// </summary>
internal sealed class WorkerFleet : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly List<Process> _processes = [];
    private readonly Channel<WorkerEvent> _events = Channel.CreateUnbounded<WorkerEvent>();
    private readonly List<Task> _readers = [];
    // Answers of another kind than the one being collected, kept for the collect that wants them: a worker may answer a
    // later command before another worker has answered an earlier one (chat's move and its send).
    private readonly List<WorkerEvent> _early = [];
    private bool _failed; // keeps the run folder, with the workers' logs

    private WorkerFleet(string runDirectory) => RunDirectory = runDirectory;

    public string RunDirectory { get; }

    public IReadOnlyList<WorkerPlan> Plans { get; private set; } = [];

    public int Count => _processes.Count;

    public IEnumerable<int> ProcessIds => _processes.Where(p => !p.HasExited).Select(p => p.Id);

    public static async Task<WorkerFleet> StartAsync(LoadTestOptions options, SeedPlan seed)
    {
        var fleet = new WorkerFleet(Directory.CreateTempSubdirectory($"socialchat-loadtest-{seed.RunId}-").FullName);
        var memberships = seed.MembershipsByUser();
        var sizes = seed.Conversations.ToDictionary(c => c.Id, c => c.Members.Length);
        var plans = new List<WorkerPlan>();
        foreach (var (chunk, index) in seed.Users.Chunk(options.PerWorker).Select((chunk, index) => (chunk, index)))
        {
            var users = chunk.Select(u => new WorkerUser(u.Index, u.Id, u.SessionId, memberships[u.Index])).ToArray();
            plans.Add(new WorkerPlan(
                index,
                options.Api!,
                options.RealtimeUrls,
                [.. Enumerable.Range(index * options.AddressesPerWorker, options.AddressesPerWorker).Select(n => Loopback.SourceAddress(n).ToString())],
                options.Protocol,
                options.Server,
                options.IdleClient,
                options.Client,
                options.ConnectConcurrency,
                TimeSpan.FromSeconds(options.ServerTimeout),
                options.MaxRunTime,
                options.JwtSigningKey,
                users,
                users.SelectMany(u => u.Conversations).Distinct().ToDictionary(id => id, id => sizes[id])));
        }

        fleet.Plans = plans;
        try
        {
            foreach (var plan in plans)
            {
                await fleet.StartWorkerAsync(plan);
            }
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }

        return fleet;
    }

    public async Task SendAsync(Func<WorkerPlan, WorkerCommand> command)
    {
        for (var i = 0; i < _processes.Count; i++)
        {
            await _processes[i].StandardInput.WriteLineAsync(JsonSerializer.Serialize(command(Plans[i]), WorkerJson.Options));
            await _processes[i].StandardInput.FlushAsync();
        }
    }

    public Task SendAsync(WorkerCommand command) => SendAsync(_ => command);

    /// <summary>Waits for one event of this kind from every worker; progress events go to <paramref name="onProgress"/>.</summary>
    public async Task<IReadOnlyList<WorkerEvent>> CollectAsync(string kind, CancellationToken cancellationToken, Action<WorkerEvent>? onProgress = null)
    {
        var collected = new WorkerEvent?[_processes.Count];
        foreach (var early in _early.Where(e => e.Kind == kind).ToList())
        {
            collected[early.Worker] = early;
            _early.Remove(early);
        }

        while (collected.Any(e => e is null))
        {
            var workerEvent = await _events.Reader.ReadAsync(cancellationToken);
            if (workerEvent.Kind == kind)
            {
                collected[workerEvent.Worker] = workerEvent;
            }
            else if (workerEvent.Kind == "exited")
            {
                _failed = true;
                throw new InvalidOperationException($"Worker {workerEvent.Worker} exited before answering '{kind}'; see {LogOf(workerEvent.Worker)}");
            }
            else if (workerEvent.Kind == "progress")
            {
                onProgress?.Invoke(workerEvent);
            }
            else
            {
                _early.Add(workerEvent);
            }
        }

        return collected!;
    }

    private string LogOf(int worker) => Path.Combine(RunDirectory, $"worker-{worker}.log");

    private async Task StartWorkerAsync(WorkerPlan plan)
    {
        var planPath = Path.Combine(RunDirectory, $"worker-{plan.Index}.json");
        await File.WriteAllTextAsync(planPath, JsonSerializer.Serialize(plan, WorkerJson.Options));
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run as `dotnet SocialChat.LoadTest.dll` or as the apphost, whichever started us.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var argument in new[] { Worker.Command, "--plan", planPath })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _processes.Add(process);
        var log = new StreamWriter(LogOf(plan.Index)) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.WriteLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        _readers.Add(Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith('{'))
                {
                    await _events.Writer.WriteAsync(JsonSerializer.Deserialize<WorkerEvent>(line, WorkerJson.Options)!);
                }
            }

            await _events.Writer.WriteAsync(new WorkerEvent("exited", plan.Index));
        }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            try
            {
                await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new WorkerCommand("stop"), WorkerJson.Options));
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        foreach (var process in _processes)
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }

        await Task.WhenAll(_readers);
        if (_processes.Count > 0 && !_failed)
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
    }
}
