using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace SocialChat.Data.Common;

/// <summary>
/// The project's own instruments, on the one <see cref="SocialChatTelemetry.Meter"/> the service defaults
/// export; the dashboard charts each per service instance.
/// </summary>
public static class SocialChatMetrics
{
    public static readonly UpDownCounter<long> HubConnections = SocialChatTelemetry.Meter.CreateUpDownCounter<long>(
        "socialchat.hub.connections", unit: "{connection}", description: "Hub connections open on this Realtime node.");

    public static readonly Counter<long> MessagesSent = SocialChatTelemetry.Meter.CreateCounter<long>(
        "socialchat.messages.sent", unit: "{message}", description: "Messages stored, through REST or the hub (a retried send counts once).");

    /// <summary>How many sends shared one transaction (MessageCommitter): 1 while sends come one at a time, more under load.</summary>
    public static readonly Histogram<int> SendsPerCommit = SocialChatTelemetry.Meter.CreateHistogram<int>(
        "socialchat.messages.commit.sends", unit: "{send}", description: "Sends stored by one grouped commit.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    public static readonly Counter<long> MessagesDelivered = SocialChatTelemetry.Meter.CreateCounter<long>(
        "socialchat.messages.delivered", unit: "{message}", description: "Messages handed to the backplane for every member's live connections.");

    /// <summary>From a message's commit to the backplane taking it: how long live readers wait on top of their network.</summary>
    public static readonly Histogram<double> MessageDeliveryLag = SocialChatTelemetry.Meter.CreateHistogram<double>(
        "socialchat.messages.delivery.lag", unit: "ms", description: "Time from a message being stored to its live delivery being published.");

    /// <summary>From a post's commit to its fan-out: how long followers wait to see it.</summary>
    public static readonly Histogram<double> FanOutLag = SocialChatTelemetry.Meter.CreateHistogram<double>(
        "socialchat.fanout.lag", unit: "ms", description: "Time from a post being written to its fan-out.");

    public static readonly Counter<long> PresenceChanges = SocialChatTelemetry.Meter.CreateCounter<long>(
        "socialchat.presence.changes", unit: "{change}", description: "Users going online (presence.online=true) or offline (false).");

    /// <summary>Tagged <c>door</c>: <c>api</c> for 429 answers, <c>hub</c> for refused SendMessage calls.</summary>
    public static readonly Counter<long> RateLimitRejections = SocialChatTelemetry.Meter.CreateCounter<long>(
        "socialchat.ratelimit.rejections", unit: "{request}", description: "Requests refused by a rate limit.");

    public static void PresenceChanged(bool online, int users = 1) => PresenceChanges.Add(users, new KeyValuePair<string, object?>("presence.online", online));

    public static void RateLimitRejected(string door) => RateLimitRejections.Add(1, new KeyValuePair<string, object?>("door", door));
}
