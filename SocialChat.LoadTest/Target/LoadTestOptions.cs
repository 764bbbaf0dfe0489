using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using SocialChat.Data.Messages;

namespace SocialChat.LoadTest.Target;

/// <summary>
/// Every knob of a run, from the command line (<c>--users 20000 --realtime http://127.0.0.1:5090,…</c>).
/// Each run is bounded: counts are fixed up front and <see cref="MaxRunTime"/> ends it whatever happens.
/// </summary>
internal sealed class LoadTestOptions : IValidatableObject
{
    [Required]
    public Uri? Api { get; set; }

    /// <summary>Comma-separated hub base URLs; users are spread over them round robin.</summary>
    public string Realtime { get; set; } = string.Empty;

    /// <summary>Comma-separated pids whose memory is sampled; found from the Realtime URLs' listening ports when empty.</summary>
    public string RealtimePids { get; set; } = string.Empty;

    [Required]
    public string Postgres { get; set; } = string.Empty;

    [Required]
    public string Redis { get; set; } = string.Empty;

    /// <summary>The key the services sign with (<c>Jwt__SigningKey</c>); read from the environment when not given.</summary>
    [Required, MinLength(32)]
    public string JwtSigningKey { get; set; } = Environment.GetEnvironmentVariable("Jwt__SigningKey") ?? string.Empty;

    [Range(1, 200_000)]
    public int Users { get; set; } = 1_000;

    /// <summary>Connections per worker process: a process holds at most 20,000 open files here.</summary>
    [Range(1, 18_000)]
    public int PerWorker { get; set; } = 15_000;

    /// <summary>Source addresses per worker (127.0.0.2, .3, …): each gives ~28,000 ephemeral ports.</summary>
    [Range(1, 64)]
    public int AddressesPerWorker { get; set; } = 2;

    /// <summary>Connection attempts in flight per worker.</summary>
    [Range(1, 5_000)]
    public int ConnectConcurrency { get; set; } = 100;

    /// <summary>
    /// Seconds without a message from the server (it pings every 15 s) after which a client drops its connection:
    /// SignalR's 30 s by default; longer on a starved machine, so that a drop in the report is the server's doing.
    /// </summary>
    [Range(16, 600)]
    public double ServerTimeout { get; set; } = 30;

    /// <summary>
    /// What the --realtime URLs serve: "signalr" (SocialChat's hub) or "socketio" (the Node.js + Socket.IO peer in
    /// benchmarks/peer-socketio, which shares SocialChat's database and Redis; its catch-up reads go to --api).
    /// </summary>
    [RegularExpression("signalr|socketio")]
    public string Server { get; set; } = "signalr";

    /// <summary>
    /// connect: each connection is a bare WebSocket speaking the hub's JSON protocol (handshake, first invocation, pings
    /// from one timer per worker) instead of a full HubConnection, so the load tool stays light enough to hold 100,000
    /// beside the servers on this machine. The server does the same work for either. chat: the users in no conversation
    /// (past the groups' and pairs' members) connect so; the members keep full connections.
    /// </summary>
    public bool IdleClient { get; set; }

    /// <summary>
    /// "library": the members connect with the client library of the server, the .NET SignalR client or SocketIOClient.
    /// "bare": every connection speaks the server's protocol over a bare WebSocket (the SignalR JSON hub protocol, or
    /// Socket.IO over Engine.IO), as the idle connections do: the server does the same work, the load tool less (18–29 %
    /// less CPU per message in BENCHMARKS.md), which leaves more of a shared machine to the servers it measures.
    /// </summary>
    [RegularExpression("library|bare")]
    public string Client { get; set; } = "library";

    /// <summary>"json" or "messagepack".</summary>
    [RegularExpression("json|messagepack")]
    public string Protocol { get; set; } = "json";

    /// <summary>connect: seconds to hold the connections open after the last one connected, before memory is sampled.</summary>
    [Range(0, 600)]
    public double Hold { get; set; } = 10;

    /// <summary>
    /// connect: after the hold, every worker drops all its connections at once (as a network blip or a restarted load
    /// balancer does) and opens them again at once, at --connect-concurrency: what a mass reconnect costs warm nodes,
    /// apart from the first connect's cold start.
    /// </summary>
    public bool Reconnect { get; set; }

    /// <summary>
    /// connect: after the hold (and --reconnect's round), the first Realtime node fails. "kill" ends it with SIGKILL, as a
    /// crash does: its connections end without a goodbye, and the Worker's sweep of dead nodes clears its presence. "stop"
    /// ends it with SIGTERM, as a rolling restart stops an instance: it closes its connections itself. Every worker then
    /// moves that node's clients to the other nodes, as a load balancer would send them, at --connect-concurrency.
    /// chat: the same halfway through its one step (not with --ramp), while the members send; a send that failed with
    /// the node is sent again with the same clientMessageId once its client has moved.
    /// </summary>
    [RegularExpression("none|kill|stop")]
    public string NodeFailure { get; set; } = "none";

    [Range(0, 100_000)]
    public int Groups { get; set; } = 10;

    [Range(2, 10_000)]
    public int GroupSize { get; set; } = 10;

    /// <summary>Direct conversations, between consecutive users.</summary>
    [Range(0, 100_000)]
    public int Directs { get; set; } = 10;

    /// <summary>chat: messages per second over the whole fleet; api: requests per second; group: changes per second.</summary>
    [Range(0.1, 1_000_000)]
    public double Rate { get; set; } = 50;

    /// <summary>Seconds each sending step lasts.</summary>
    [Range(0.5, 600)]
    public double Duration { get; set; } = 10;

    /// <summary>
    /// chat: seconds of sending at the first step's rate before step 1, not reported (its messages are still accounted
    /// for): the first sends of a fresh server compile and fill its pools, which would otherwise land in step 1's tail.
    /// api and commit: seconds of the same requests or sends before the measured ones, not reported.
    /// </summary>
    [Range(0, 120)]
    public double WarmUp { get; set; } = 5;

    /// <summary>"hub" (SendMessage on the connection) or "rest" (POST …/messages on the Api).</summary>
    [RegularExpression("hub|rest")]
    public string Via { get; set; } = "hub";

    /// <summary>chat: multiply the rate by <see cref="RampFactor"/> after every step until p99 passes <see cref="P99LimitMs"/>.</summary>
    public bool Ramp { get; set; }

    [Range(1.05, 10)]
    public double RampFactor { get; set; } = 1.5;

    [Range(1, 100)]
    public int RampSteps { get; set; } = 12;

    [Range(1, 10_000)]
    public double P99LimitMs { get; set; } = 100;

    /// <summary>Seconds to wait for deliveries to stop arriving after a step (at most).</summary>
    [Range(0.5, 120)]
    public double Drain { get; set; } = 10;

    /// <summary>api: the share of requests that read history; the rest send.</summary>
    [Range(0, 1)]
    public double ReadShare { get; set; } = 0.8;

    /// <summary>commit: sends, and in their turns single-row INSERTs, in flight at once, each caller starting the next when one ends.</summary>
    [Range(1, 1_000)]
    public int Concurrency { get; set; } = 32;

    /// <summary>commit: the send path's committers in this process (the services' <c>Messages:Committers</c>, and its default).</summary>
    [Range(1, 32)]
    public int Committers { get; set; } = new MessageCommitOptions().Committers;

    /// <summary>
    /// commit: the sends and the single-row INSERTs take turns this many times, <see cref="Duration"/> / rounds seconds
    /// each, so that both meet the same machine: on a shared two-core box the INSERT rate alone moved by a third between
    /// runs minutes apart.
    /// </summary>
    [Range(1, 100)]
    public int Rounds { get; set; } = 3;

    /// <summary>
    /// group: what its owner changes. "rename": a new title each time. "members": a connected member removed, then (once
    /// answered) added back, a request each, so that the group keeps its size and every change is heard by all connected;
    /// one such change at a time, so a slow server lowers the rate achieved. "create": a new group of the same members,
    /// every connected member joined to it live.
    /// </summary>
    [RegularExpression("rename|members|create")]
    public string Change { get; set; } = "rename";

    /// <summary>group: members of the group, besides its owner, connected to the hub (from this process), each hearing every change.</summary>
    [Range(0, 5_000)]
    public int Online { get; set; } = 100;

    /// <summary>api: messages seeded into every conversation so that history reads read something; group: into the group, read by nobody.</summary>
    [Range(0, 10_000)]
    public int History { get; set; } = 50;

    /// <summary>Where the JSON report goes (besides the table on the console).</summary>
    public string? Report { get; set; }

    [Range(typeof(TimeSpan), "00:00:10", "02:00:00")]
    public TimeSpan MaxRunTime { get; set; } = TimeSpan.FromMinutes(15);

    public IReadOnlyList<Uri> RealtimeUrls =>
        [.. Realtime.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u))];

    /// <summary>--per-worker → PerWorker, and so on for every option.</summary>
    public static Dictionary<string, string> SwitchMappings() =>
        typeof(LoadTestOptions).GetProperties().Where(p => p.CanWrite).ToDictionary(
            p => "--" + string.Concat(p.Name.Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}")),
            p => p.Name);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The peer has no REST door of its own and speaks only JSON; messages sent to the Api would reach SignalR's clients, not its.
        if (Server == "socketio" && (Via != "hub" || Protocol != "json"))
        {
            yield return new ValidationResult("--server socketio sends over its own connections (--via hub) in JSON (--protocol json).", [nameof(Server)]);
        }

        if (Client == "bare" && Protocol != "json")
        {
            yield return new ValidationResult("--client bare speaks JSON (--protocol json).", [nameof(Client)]);
        }

        if (IdleClient && (Server != "signalr" || Protocol != "json"))
        {
            yield return new ValidationResult("--idle-client speaks SocialChat's hub protocol in JSON (--server signalr --protocol json).", [nameof(IdleClient)]);
        }

        if (NodeFailure != "none" && RealtimeUrls.Count < 2)
        {
            yield return new ValidationResult("--node-failure needs a node to move the failed node's clients to: two --realtime URLs or more.", [nameof(NodeFailure)]);
        }
    }

    public static LoadTestOptions From(IConfiguration settings)
    {
        var options = settings.Get<LoadTestOptions>() ?? new LoadTestOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }
}
