using SocialChat.LoadTest.Reporting;

namespace SocialChat.Tests.Benchmarks;

public sealed class GcPausesTests
{
    [Fact]
    public async Task A_blocking_full_collection_is_reported_as_a_pause_and_a_gen2_collection()
    {
        using var pauses = new GcPauses();
        var seen = new LoadToolGc(0, 0, 0);

        // The runtime starts sending a new listener its events, and hands each over on a thread of its own, a moment later.
        for (var waited = 0; seen.LongestPauseMs == 0 && waited < 100; waited++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(100);
            seen = LoadToolGc.Combine([seen, pauses.Take()]);
        }

        Assert.True(seen.LongestPauseMs > 0, $"no pause seen: {seen}");
        Assert.True(seen.PausedMs > 0, $"{seen}");
        Assert.True(seen.Gen2Collections >= 1, $"{seen}");
    }
}
