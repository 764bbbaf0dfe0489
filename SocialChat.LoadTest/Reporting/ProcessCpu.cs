using System.Diagnostics;
using System.Net;
using Npgsql;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Target;
using StackExchange.Redis;

namespace SocialChat.LoadTest.Reporting;

/// <summary>
/// CPU time by role over a window of a run, from /proc: the server (the Realtime nodes, or the peer's processes), the
/// Api, the database (what listens on --postgres's port, with its children: PostgreSQL's backends), Redis, and the load
/// tool itself (coordinator and workers). Where they share the machine's cores, CPU per operation (a message, a request)
/// is what compares two builds or two servers: latency near the knee varies several times over between runs of one build.
/// Beside them, what the host took: the machine's steal time, since a window the hypervisor gave to another machine
/// is one in which every process here stood still.
/// </summary>
internal sealed class ProcessCpu
{
    /// <summary>The role that is no process of this machine: its virtual CPUs' steal time.</summary>
    public const string StolenByTheHost = "stolen by the host";

    private const int DefaultRedisPort = 6379;

    private readonly IReadOnlyList<(string Role, Func<IEnumerable<int>> Processes)> _roles;

    private ProcessCpu(IReadOnlyList<(string Role, Func<IEnumerable<int>> Processes)> roles) => _roles = roles;

    /// <summary>The roles' processes, found once: call before the connections are up (it reads every open file of every process).</summary>
    public static ProcessCpu Of(LoadTestOptions options, WorkerFleet? fleet = null)
    {
        var server = ServerMemory.RealtimeProcesses(options);
        var api = LocalProcesses.Listening(options.Api!.Port);
        var database = LocalProcesses.Listening(new NpgsqlConnectionStringBuilder(options.Postgres).Port);
        var redis = ConfigurationOptions.Parse(options.Redis).EndPoints
            .Select(endpoint => endpoint switch { DnsEndPoint dns => dns.Port, IPEndPoint ip => ip.Port, _ => 0 })
            .Select(port => LocalProcesses.Listening(port == 0 ? DefaultRedisPort : port))
            .OfType<int>()
            .ToList();
        return new([
            ("server", () => server),
            ("api", () => api is { } pid ? [pid] : []),
            // Read at each sample: PostgreSQL forks a backend per connection, and pools open connections as they need them.
            ("database", () => database is { } pid ? [pid, .. LocalProcesses.ChildrenOf(pid)] : []),
            ("redis", () => redis),
            ("load tool", () => [Environment.ProcessId, .. fleet?.ProcessIds ?? []]),
        ]);
    }

    public CpuSample Sample() => new(
        Stopwatch.GetTimestamp(),
        LocalProcesses.StolenTime(),
        _roles.ToDictionary(
            r => r.Role,
            r => r.Processes().Distinct().Select(pid => (pid, Cpu: LocalProcesses.CpuTime(pid))).Where(p => p.Cpu is not null).ToDictionary(p => p.pid, p => p.Cpu!.Value)));

    /// <summary>
    /// Cores each role used between two samples, and its CPU per operation when there were operations. A process that
    /// started in between counts whole; one that ended in between is lost (its time is gone with it). Last, the cores
    /// stolen by the host in the window (<see cref="StolenByTheHost"/>, no processes, no CPU per operation).
    /// </summary>
    public IReadOnlyList<RoleCpu> Between(CpuSample start, CpuSample end, long operations) => Over([(start, end)], operations);

    /// <summary>The same over several windows taken together (their seconds and CPU summed); processes as at the last window's end.</summary>
    public IReadOnlyList<RoleCpu> Over(IReadOnlyList<(CpuSample Start, CpuSample End)> windows, long operations)
    {
        var seconds = windows.Sum(w => Stopwatch.GetElapsedTime(w.Start.Timestamp, w.End.Timestamp).TotalSeconds);
        var last = windows[^1].End;
        return [
            .. _roles.Select(r =>
            {
                var used = windows.Sum(w =>
                {
                    var before = w.Start.CpuByRole[r.Role];
                    return w.End.CpuByRole[r.Role].Sum(p => (p.Value - before.GetValueOrDefault(p.Key)).TotalMilliseconds);
                });
                return new RoleCpu(r.Role, last.CpuByRole[r.Role].Count, used / 1000 / seconds, operations > 0 ? used / operations : null);
            }),
            new RoleCpu(StolenByTheHost, 0, windows.Sum(w => (w.End.Stolen - w.Start.Stolen).TotalSeconds) / seconds, null),
        ];
    }

    /// <summary>"server ×2 0.74 cores (1.06 ms/msg) · database ×12 0.49 cores (0.69 ms/msg) · … · stolen by the host 0.03 cores", for the report's table.</summary>
    public static string Format(IReadOnlyList<RoleCpu> cpu, string operation = "msg") => string.Join(" · ", cpu.Where(r => r.Processes > 0).Select(r =>
        FormattableString.Invariant($"{r.Role} ×{r.Processes} {r.Cores:F2} cores") + (r.MsPerOperation is { } ms ? FormattableString.Invariant($" ({ms:F2} ms/{operation})") : ""))
        .Concat(cpu.Where(r => r.Role == StolenByTheHost).Select(r => FormattableString.Invariant($"{r.Role} {r.Cores:F2} cores"))));
}

internal sealed record CpuSample(long Timestamp, TimeSpan Stolen, IReadOnlyDictionary<string, Dictionary<int, TimeSpan>> CpuByRole);

/// <summary>
/// Processes: how many the role had at the end of the window (none for <see cref="ProcessCpu.StolenByTheHost"/>).
/// MsPerOperation: CPU milliseconds per operation in the window: a message sent (chat, and commit's sends), a request
/// (api), an INSERT (commit's single-row INSERTs).
/// </summary>
internal sealed record RoleCpu(string Role, int Processes, double Cores, double? MsPerOperation);
