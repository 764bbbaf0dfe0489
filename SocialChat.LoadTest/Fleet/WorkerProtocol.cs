using System.Text.Json;
using SocialChat.Data.Common;
using SocialChat.LoadTest.Reporting;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// What a worker process is given: its users (with sessions and conversations), the key to sign their tokens
/// with, where to connect them and from which source addresses. Written to a file by the coordinator, read once by the worker.
/// </summary>
internal sealed record WorkerPlan(
    int Index,
    Uri Api,
    IReadOnlyList<Uri> Realtime,
    IReadOnlyList<string> SourceAddresses,
    string Protocol,
    string Server,
    bool IdleClient,
    string Client,
    int ConnectConcurrency,
    TimeSpan ServerTimeout,
    TimeSpan MaxRunTime,
    string JwtSigningKey,
    IReadOnlyList<WorkerUser> Users,
    IReadOnlyDictionary<Guid, int> ConversationSizes);

internal sealed record WorkerUser(int Index, Guid Id, Guid SessionId, IReadOnlyList<Guid> Conversations);

/// <summary>
/// Coordinator → worker, one JSON line on stdin each. Kinds: connect, disconnect, failover (of the node at FailedNode),
/// send (with FailedNode: that node will fail while sending), report, catchup, stop.
/// </summary>
internal sealed record WorkerCommand(string Kind, int Step = 0, double Rate = 0, double Seconds = 0, string Via = "hub", Dictionary<Guid, long>? LastSeqs = null, Uri? FailedNode = null);

/// <summary>
/// Worker → coordinator, one JSON line on stdout each. Kinds: progress, connected (after a failover instead of Seconds
/// the clients it moved as Dropped, and ClosedAt, the monotonic timestamp every process of the machine shares, when each
/// had seen its connection close), disconnected, sent (with the worker's GC pauses while sending, and the sends Retried
/// after a failover), received (with the connections open), caughtup.
/// </summary>
internal sealed record WorkerEvent(
    string Kind,
    int Worker,
    int Connected = 0,
    int Failed = 0,
    int Dropped = 0,
    double Seconds = 0,
    Dictionary<string, int>? Errors = null,
    int Step = 0,
    long Sent = 0,
    long Acked = 0,
    long ExpectedDeliveries = 0,
    LatencyHistogram? AckLatency = null,
    Dictionary<int, StepDeliveries>? Deliveries = null,
    long Delivered = 0,
    long CaughtUp = 0,
    long Missing = 0,
    LoadToolGc? Gc = null,
    long ClosedAt = 0,
    long Retried = 0);

/// <summary>What the worker's connections received of one step's messages; EachSecond by monotonic second.</summary>
internal sealed record StepDeliveries(long Count, LatencyHistogram Latency, Dictionary<long, long> EachSecond);

internal static class WorkerJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The public contract's JSON, for what the tool sends to and reads from the Api.</summary>
    public static readonly JsonSerializerOptions Contract = CreateContract();

    private static JsonSerializerOptions CreateContract()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ContractJson.Apply(options);
        return options;
    }
}
