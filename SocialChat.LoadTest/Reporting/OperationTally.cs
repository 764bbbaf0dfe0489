using System.Collections.Concurrent;
using System.Diagnostics;

namespace SocialChat.LoadTest.Reporting;

/// <summary>Counts one kind of operation of a run: how many began, how many succeeded and how fast, and why the rest failed. Thread-safe.</summary>
internal sealed class OperationTally
{
    private readonly LatencyHistogram _latency = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private long _count;
    private long _ok;

    /// <summary>Counts an operation as begun; returns its start, for <see cref="Succeeded"/>.</summary>
    public long Begin()
    {
        Interlocked.Increment(ref _count);
        return Stopwatch.GetTimestamp();
    }

    public long Count => Interlocked.Read(ref _count);

    public long Ok => Interlocked.Read(ref _ok);

    public void Succeeded(long started)
    {
        _latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        Interlocked.Increment(ref _ok);
    }

    public void Failed(string error) => _errors.AddOrUpdate(error, 1, (_, n) => n + 1);

    public OperationReport Report(double seconds) => new(_count, _ok, _ok / Math.Max(seconds, 0.001), _latency.Summary(), new(_errors));
}
