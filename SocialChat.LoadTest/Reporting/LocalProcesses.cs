using System.Globalization;

namespace SocialChat.LoadTest.Reporting;

/// <summary>The processes of this machine a run measures, found from /proc (the tool targets loopback only).</summary>
internal static class LocalProcesses
{
    /// <summary>/proc counts CPU time in clock ticks of 1/100 s (USER_HZ, fixed at 100 in Linux's ABI).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Finds the pid holding the listening socket of a TCP port: its inode in /proc/net/tcp*, then the fd that points at it.</summary>
    public static int? Listening(int port)
    {
        const string Listen = "0A";
        var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(File.ReadLines)
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[3] == Listen && int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => $"socket:[{f[9]}]")
            .ToHashSet();
        foreach (var pid in All())
        {
            try
            {
                if (Directory.EnumerateFiles($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
                {
                    return pid;
                }
            }
            catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
            {
                // Gone, or not ours to read.
            }
        }

        return null;
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>: a PostgreSQL server's backends, forked by its postmaster.</summary>
    public static IEnumerable<int> ChildrenOf(int parent) => All().Where(pid => Stat(pid) is { } stat && stat.Parent == parent);

    /// <summary>User and system CPU time so far, or null once the process is gone.</summary>
    public static TimeSpan? CpuTime(int pid) => Stat(pid)?.Cpu;

    /// <summary>
    /// The machine's steal time so far, over all its cores: time its virtual CPUs had work but the hypervisor ran
    /// something else. Zero where nothing is virtualised.
    /// </summary>
    public static TimeSpan StolenTime() => StolenTimeIn(File.ReadLines("/proc/stat").First());

    /// <summary>The steal count of /proc/stat's first line: "cpu user nice system idle iowait irq softirq steal guest guest_nice".</summary>
    public static TimeSpan StolenTimeIn(string cpuLine) =>
        TimeSpan.FromSeconds(long.Parse(cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[8], CultureInfo.InvariantCulture) / TicksPerSecond);

    private static IEnumerable<int> All() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out var pid) ? pid : 0).Where(pid => pid > 0);

    /// <summary>
    /// /proc/&lt;pid&gt;/stat after the command name, which may itself hold spaces and parentheses: the parent is field 4,
    /// utime and stime are fields 14 and 15.
    /// </summary>
    private static (int Parent, TimeSpan Cpu)? Stat(int pid)
    {
        if (Read($"/proc/{pid}/stat") is not { } stat)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(ticks / TicksPerSecond));
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
