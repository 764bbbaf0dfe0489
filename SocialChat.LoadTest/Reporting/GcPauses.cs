using System.Diagnostics.Tracing;

namespace SocialChat.LoadTest.Reporting;

/// <summary>
/// The garbage collector's pauses in this process, from the runtime's own GC events: the longest single pause and the
/// time paused in all since the last <see cref="Take"/>. A worker timestamps every delivery it receives, so a pause of
/// its own reads as latency of whichever server it measures; a step's tail is only the server's if the tool did not
/// stand still that long itself.
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const string RuntimeEventSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int SuspendBeginEventId = 9; // GCSuspendEEBegin: the runtime starts stopping managed threads
    private const int RestartEndEventId = 3; // GCRestartEEEnd: they run again

    private readonly Lock _gate = new();
    private DateTime? _suspendedAt;
    private TimeSpan _longest;
    private TimeSpan _pausedAtLastTake = GC.GetTotalPauseDuration();
    private int _gen2AtLastTake = GC.CollectionCount(2);

    /// <summary>The pauses since the last call (or since this listener was made), and starts counting anew.</summary>
    public LoadToolGc Take()
    {
        TimeSpan longest;
        lock (_gate)
        {
            longest = _longest;
            _longest = TimeSpan.Zero;
        }

        var paused = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var taken = new LoadToolGc(longest.TotalMilliseconds, (paused - _pausedAtLastTake).TotalMilliseconds, gen2 - _gen2AtLastTake);
        (_pausedAtLastTake, _gen2AtLastTake) = (paused, gen2);
        return taken;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeEventSource)
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        lock (_gate)
        {
            if (eventData.EventId == SuspendBeginEventId)
            {
                _suspendedAt = eventData.TimeStamp;
            }
            else if (eventData.EventId == RestartEndEventId && _suspendedAt is { } suspendedAt)
            {
                var pause = eventData.TimeStamp - suspendedAt;
                _longest = pause > _longest ? pause : _longest;
                _suspendedAt = null;
            }
        }
    }
}

/// <summary>
/// The load tool's GC pauses over a window: the longest of any worker, the time paused summed over the workers (each
/// pauses only its own connections), and their gen2 collections.
/// </summary>
internal sealed record LoadToolGc(double LongestPauseMs, double PausedMs, int Gen2Collections)
{
    public static LoadToolGc Combine(IEnumerable<LoadToolGc> workers) =>
        workers.Aggregate(new LoadToolGc(0, 0, 0), (all, worker) => new LoadToolGc(
            Math.Max(all.LongestPauseMs, worker.LongestPauseMs), all.PausedMs + worker.PausedMs, all.Gen2Collections + worker.Gen2Collections));

    public override string ToString() =>
        FormattableString.Invariant($"longest pause {LongestPauseMs:F1} ms, {PausedMs:F1} ms paused in all, {Gen2Collections} gen2 collections");
}
