using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace SocialChat.LoadTest.Reporting;

/// <summary>
/// The managed heap of a .NET server process right after a full collection it is asked to make over EventPipe (as
/// dotnet-gcdump does): the bytes its live objects take, without the garbage and GC headroom that RSS also holds.
/// </summary>
internal static class ManagedHeap
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Null when the process does not answer in time, or is not a .NET process (the Socket.IO peer).</summary>
    public static async Task<long?> LiveKiBAsync(int pid)
    {
        EventPipeSession session;
        try
        {
            // GCHeapCollect makes the runtime run a full blocking collection as the session starts.
            session = await new DiagnosticsClient(pid).StartEventPipeSessionAsync(
                new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Informational,
                    (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect)),
                requestRundown: false, circularBufferMB: 16, CancellationToken.None);
        }
        catch (Exception exception) when (exception is ServerNotAvailableException or UnsupportedCommandException or TimeoutException)
        {
            return null;
        }

        using (session)
        {
            var induced = false;
            var heap = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var source = new EventPipeEventSource(session.EventStream);
            source.Clr.GCStart += start => induced |= start.Reason == GCReason.Induced;
            source.Clr.GCHeapStats += stats =>
            {
                if (induced)
                {
                    heap.TrySetResult(stats.TotalHeapSize);
                }
            };
            var reading = Task.Run(source.Process);
            try
            {
                return await heap.Task.WaitAsync(Timeout) / 1024;
            }
            catch (TimeoutException)
            {
                return null;
            }
            finally
            {
                await session.StopAsync(CancellationToken.None);
                await reading.WaitAsync(Timeout).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
