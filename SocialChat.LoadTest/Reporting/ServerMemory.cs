using System.Globalization;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Reporting;

/// <summary>Resident memory of the server processes, from /proc/&lt;pid&gt;/status, and their live managed heap.</summary>
internal static class ServerMemory
{
    /// <summary>The given pids, or the processes listening on the Realtime URLs' ports.</summary>
    public static IReadOnlyList<int> RealtimeProcesses(LoadTestOptions options) =>
        options.RealtimePids.Length > 0
            ? [.. options.RealtimePids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)]
            : [.. options.RealtimeUrls.Select(u => ListeningProcess(u.Port)).OfType<int>().Distinct()];

    /// <summary>RSS is read before the heap: reading the live heap makes the process collect, which can shrink its RSS.</summary>
    public static async Task<IReadOnlyList<ProcessMemory>> SampleAsync(IReadOnlyList<int> pids)
    {
        var resident = pids.Select(pid => (Pid: pid, Rss: StatusKiB(pid, "VmRSS:"), Peak: StatusKiB(pid, "VmHWM:"))).ToList();
        var heaps = await Task.WhenAll(pids.Select(ManagedHeap.LiveKiBAsync));
        return [.. resident.Select((r, i) => new ProcessMemory(r.Pid, r.Rss, r.Peak, heaps[i]))];
    }

    private static long StatusKiB(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Finds the pid holding the listening socket of a TCP port: its inode in /proc/net/tcp*, then the fd that points at it.</summary>
    private static int? ListeningProcess(int port)
    {
        const string Listen = "0A";
        var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(File.ReadLines)
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[3] == Listen && int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(f => $"socket:[{f[9]}]")
            .ToHashSet();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (Directory.EnumerateFiles(Path.Combine(directory, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
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
}

/// <summary>LiveHeapKiB is null for a process that is not .NET (the Socket.IO peer) or did not answer.</summary>
internal sealed record ProcessMemory(int Pid, long RssKiB, long PeakRssKiB, long? LiveHeapKiB);
