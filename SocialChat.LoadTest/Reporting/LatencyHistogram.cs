namespace SocialChat.LoadTest.Reporting;

/// <summary>
/// Latencies in microseconds, in buckets 2 % wide, so workers can record millions without keeping them and
/// the coordinator can merge them exactly. Thread-safe for <see cref="Record"/>.
/// </summary>
internal sealed class LatencyHistogram
{
    private const double Growth = 1.02;
    private const int BucketCount = 1_000; // 1.02^1000 µs is far beyond any run's length

    private static readonly double LogGrowth = Math.Log(Growth);

    public long[] Counts { get; init; } = new long[BucketCount];

    private long _max;

    public long MaxMicroseconds { get => Interlocked.Read(ref _max); set => _max = value; }

    public long Count => Counts.Sum();

    public void Record(long microseconds)
    {
        microseconds = Math.Max(0, microseconds);
        var bucket = Math.Min(BucketCount - 1, (int)(Math.Log(microseconds + 1) / LogGrowth));
        Interlocked.Increment(ref Counts[bucket]);
        long max;
        while (microseconds > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, microseconds, max) != max)
        {
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            Counts[i] += other.Counts[i];
        }

        _max = Math.Max(_max, other.MaxMicroseconds);
    }

    /// <summary>The upper edge of the bucket that holds the given quantile, in milliseconds (0 when empty).</summary>
    public double PercentileMs(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Counts[i];
            if (seen >= Math.Max(1, rank))
            {
                return Math.Min(MaxMicroseconds, Math.Pow(Growth, i + 1) - 1) / 1000.0;
            }
        }

        return MaxMicroseconds / 1000.0;
    }

    public LatencySummary Summary() => new(Count, PercentileMs(0.5), PercentileMs(0.9), PercentileMs(0.99), MaxMicroseconds / 1000.0);

    /// <summary>The non-empty buckets, each with its upper edge: the distribution the plots draw.</summary>
    public IReadOnlyList<LatencyBucket> Distribution() =>
        [.. Counts.Select((count, i) => new LatencyBucket((Math.Pow(Growth, i + 1) - 1) / 1000.0, count)).Where(b => b.Count > 0)];
}

internal sealed record LatencySummary(long Count, double P50Ms, double P90Ms, double P99Ms, double MaxMs);

internal sealed record LatencyBucket(double UpToMs, long Count);
