using System.Diagnostics.Metrics;

namespace SocialChat.Worker.FanOut;

internal static class SocialChatMetrics
{
    /// <summary>From a post's commit to its fan-out: how long followers wait to see it.</summary>
    public static readonly Histogram<double> FanOutLag =
        SocialChatTelemetry.Meter.CreateHistogram<double>("socialchat.fanout.lag", unit: "ms", description: "Time from a post being written to its fan-out.");
}
