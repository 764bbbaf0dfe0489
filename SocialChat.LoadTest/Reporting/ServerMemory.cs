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
            : [.. options.RealtimeUrls.Select(u => LocalProcesses.Listening(u.Port)).OfType<int>().Distinct()];

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
}

/// <summary>LiveHeapKiB is null for a process that is not .NET (the Socket.IO peer) or did not answer.</summary>
internal sealed record ProcessMemory(int Pid, long RssKiB, long PeakRssKiB, long? LiveHeapKiB);
