using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// One worker process: holds its share of the users' realtime connections (at most ~15,000, under the
/// 20,000 open files a process may have) and does what the coordinator's commands on stdin say.
/// </summary>
internal sealed class Worker : IAsyncDisposable
{
    public const string Command = "worker";

    // Generous: on a loaded 2-core machine a connect or send can take tens of seconds, and that is a result, not a failure of the tool.
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(90);

    private readonly WorkerPlan _plan;
    private readonly Client[] _clients;
    private readonly LoopbackWebSockets[] _sockets;
    private readonly HttpClient _api;
    private readonly SessionTokens _tokens;
    private readonly ConcurrentDictionary<int, StepCounter> _steps = new();
    private readonly Lock _output = new();
    private readonly GcPauses _gcPauses = new();
    private int _dropped;

    private Worker(WorkerPlan plan)
    {
        _plan = plan;
        _tokens = new SessionTokens(plan.JwtSigningKey);
        _clients = [.. plan.Users.Select(u => new Client(u))];
        _sockets = [.. plan.SourceAddresses.Select(a => new LoopbackWebSockets(IPAddress.Parse(a)))];
        _api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = plan.Api, Timeout = OperationTimeout };
    }

    public static async Task<int> RunAsync(IConfiguration settings)
    {
        var plan = JsonSerializer.Deserialize<WorkerPlan>(await File.ReadAllTextAsync(settings["plan"]!), WorkerJson.Options)!;
        // Bounded even if the coordinator is gone without closing stdin.
        using var deadline = new CancellationTokenSource(plan.MaxRunTime);
        await using var worker = new Worker(plan);
        try
        {
            while (await Console.In.ReadLineAsync(deadline.Token) is { } line)
            {
                var command = JsonSerializer.Deserialize<WorkerCommand>(line, WorkerJson.Options)!;
                switch (command.Kind)
                {
                    case "connect":
                        await worker.ConnectAsync(deadline.Token);
                        break;
                    case "failover":
                        await worker.FailOverAsync(command.FailedNode!, OperationTimeout, deadline.Token);
                        break;
                    case "disconnect":
                        var open = worker._clients.Count(c => c.Connection is { IsConnected: true });
                        await worker.CloseAllAsync();
                        worker.Emit(new WorkerEvent("disconnected", plan.Index, Connected: open));
                        break;
                    case "send":
                        await worker.SendAsync(command, deadline.Token);
                        break;
                    case "report":
                        worker.ReportReceived();
                        break;
                    case "catchup":
                        await worker.CatchUpAsync(command.LastSeqs ?? [], deadline.Token);
                        break;
                    case "stop":
                        return 0;
                    default:
                        throw new InvalidOperationException($"Unknown command '{command.Kind}'.");
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"worker {plan.Index}: the run's time limit ({plan.MaxRunTime}) passed; stopping.");
        }

        return 0;
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var (connected, failed, errors) = await ConnectAsync([.. _clients.Index()], client => _plan.Realtime[client.User.Index % _plan.Realtime.Count], cancellationToken);
        Emit(new WorkerEvent("connected", _plan.Index, Connected: connected, Failed: failed, Seconds: stopwatch.Elapsed.TotalSeconds, Errors: errors));
    }

    /// <summary>
    /// Moves the clients of a failed node to the other nodes, as their load balancer would send them there, once each has
    /// seen its connection close (or <paramref name="closeTimeout"/> has passed).
    /// </summary>
    private async Task FailOverAsync(Uri failedNode, TimeSpan closeTimeout, CancellationToken cancellationToken)
    {
        var survivors = _plan.Realtime.Where(node => node != failedNode).ToArray();
        (int Index, Client Item)[] moving = [.. _clients.Index().Where(c => c.Item.Realtime == failedNode)];
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(closeTimeout);
            try
            {
                while (moving.Any(c => c.Item.Connection is { IsConnected: true }))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A node that never closes them: they move anyway, and ClosedAt says how long they were left waiting.
            }
        }

        var closedAt = Stopwatch.GetTimestamp();
        foreach (var (_, client) in moving)
        {
            await client.DisposeAsync();
        }

        var (connected, failed, errors) = await ConnectAsync(moving, client => survivors[client.User.Index % survivors.Length], cancellationToken);
        Emit(new WorkerEvent("connected", _plan.Index, Connected: connected, Failed: failed, Dropped: moving.Length, ClosedAt: closedAt, Errors: errors));
    }

    /// <summary>Connects the clients, each from the source address its place in this worker gives it, with progress events.</summary>
    private async Task<(int Connected, int Failed, Dictionary<string, int> Errors)> ConnectAsync(
        (int Index, Client Item)[] clients, Func<Client, Uri> node, CancellationToken cancellationToken)
    {
        var errors = new ConcurrentDictionary<string, int>();
        int connected = 0, failed = 0;
        using var gate = new SemaphoreSlim(_plan.ConnectConcurrency);
        using var progress = new Timer(_ => Emit(new WorkerEvent("progress", _plan.Index, Connected: connected, Failed: failed)), null, 1000, 1000);
        await Task.WhenAll(clients.Select(async c =>
        {
            var (i, client) = c;
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (await client.ConnectAsync(this, node(client), _sockets[i % _sockets.Length], cancellationToken) is { } error)
                {
                    errors.AddOrUpdate(error, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref failed);
                }
                else
                {
                    Interlocked.Increment(ref connected);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return (connected, failed, new(errors));
    }

    /// <summary>
    /// Sends rate × seconds messages, evenly spaced, round robin over this worker's members and their conversations. With a
    /// node that fails meanwhile (FailedNode), its clients move to the others once they have seen it close, and a send that
    /// failed is sent again once its client is connected elsewhere, with the same clientMessageId, as a client retries
    /// after reconnecting: the server stores it once, whether or not the first attempt was committed.
    /// </summary>
    private async Task SendAsync(WorkerCommand command, CancellationToken cancellationToken)
    {
        var failover = command.FailedNode is { } failedNode
            ? FailOverAsync(failedNode, TimeSpan.FromSeconds(command.Seconds) + OperationTimeout, cancellationToken)
            : null;
        var senders = _clients.Where(c => c.User.Conversations.Count > 0 && (command.Via == "rest" || c.Connection is { IsConnected: true })).ToArray();
        var total = senders.Length == 0 ? 0 : (long)Math.Round(command.Rate * command.Seconds);
        var ackLatency = new LatencyHistogram();
        var errors = new ConcurrentDictionary<string, int>();
        long acked = 0, expected = 0, retried = 0;
        var pending = new List<Task>();
        _gcPauses.Take();
        var stopwatch = Stopwatch.StartNew();
        for (long issued = 0; issued < total;)
        {
            var due = Math.Min(total, (long)(stopwatch.Elapsed.TotalSeconds * command.Rate) + 1);
            for (; issued < due; issued++)
            {
                var sender = senders[issued % senders.Length];
                var conversationId = sender.User.Conversations[(int)(issued / senders.Length % sender.User.Conversations.Count)];
                pending.Add(SendOneAsync());

                async Task SendOneAsync()
                {
                    var started = Stopwatch.GetTimestamp();
                    var body = MessageBody.Create(command.Step, started);
                    var clientMessageId = Guid.NewGuid();
                    var error = await sender.SendAsync(this, command.Via, conversationId, clientMessageId, body, cancellationToken);
                    if (error is not null && failover is not null)
                    {
                        await sender.MovedAsync(command.FailedNode!, failover, cancellationToken);
                        Interlocked.Increment(ref retried);
                        error = await sender.SendAsync(this, command.Via, conversationId, clientMessageId, body, cancellationToken);
                    }

                    if (error is not null)
                    {
                        errors.AddOrUpdate(error, 1, (_, n) => n + 1);
                        return;
                    }

                    ackLatency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    Interlocked.Increment(ref acked);
                    Interlocked.Add(ref expected, _plan.ConversationSizes[conversationId]);
                }
            }

            await Task.Delay(1, cancellationToken);
        }

        await Task.WhenAll(pending);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (failover is not null)
        {
            await failover;
        }

        Emit(new WorkerEvent("sent", _plan.Index, Step: command.Step, Sent: total, Acked: acked, ExpectedDeliveries: expected,
            AckLatency: ackLatency, Seconds: seconds, Errors: new(errors), Gc: _gcPauses.Take(), Retried: retried));
    }

    private void ReportReceived() =>
        Emit(new WorkerEvent("received", _plan.Index, Connected: _clients.Count(c => c.Connection is { IsConnected: true }), Dropped: _dropped,
            Deliveries: _steps.ToDictionary(s => s.Key, s => new StepDeliveries(Interlocked.Read(ref s.Value.Count), s.Value.Latency, new(s.Value.EachSecond)))));

    /// <summary>Counts what arrived live up to each conversation's last committed seq, and reads the rest as a reconnecting client would.</summary>
    private async Task CatchUpAsync(Dictionary<Guid, long> lastSeqs, CancellationToken cancellationToken)
    {
        long delivered = 0, caughtUp = 0, missing = 0;
        var errors = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (client, ct) =>
        {
            foreach (var conversationId in client.User.Conversations)
            {
                var lastSeq = lastSeqs.GetValueOrDefault(conversationId);
                var received = client.Received(conversationId);
                long[] gaps;
                lock (received)
                {
                    gaps = [.. received.MissingUpTo(lastSeq)];
                }

                Interlocked.Add(ref delivered, lastSeq - gaps.Length);
                if (gaps.Length == 0)
                {
                    continue;
                }

                try
                {
                    var found = await ReadAfterAsync(client.User, conversationId, gaps[0] - 1, lastSeq, ct);
                    var recovered = gaps.Count(found.Contains);
                    Interlocked.Add(ref caughtUp, recovered);
                    Interlocked.Add(ref missing, gaps.Length - recovered);
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    errors.AddOrUpdate(Describe(exception), 1, (_, n) => n + 1);
                    Interlocked.Add(ref missing, gaps.Length);
                }
            }
        });
        Emit(new WorkerEvent("caughtup", _plan.Index, Delivered: delivered, CaughtUp: caughtUp, Missing: missing, Dropped: _dropped, Errors: new(errors)));
    }

    private async Task<HashSet<long>> ReadAfterAsync(WorkerUser user, Guid conversationId, long after, long lastSeq, CancellationToken cancellationToken)
    {
        var found = new HashSet<long>();
        var uri = $"/api/v1/conversations/{conversationId}/messages?after={after}&limit={PageLimit.Max}";
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.For(user.Id, user.SessionId));
            using var response = await _api.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var page = (await response.Content.ReadFromJsonAsync<Page<MessageResponse>>(WorkerJson.Contract, cancellationToken))!;
            found.UnionWith(page.Items.Select(m => m.Seq));
            if (page.NextCursor is null || page.Items.Count == 0 || page.Items[^1].Seq >= lastSeq)
            {
                return found;
            }

            uri = $"/api/v1/conversations/{conversationId}/messages?cursor={Uri.EscapeDataString(page.NextCursor)}&limit={PageLimit.Max}";
        }
    }

    private void OnMessageReceived(Client client, Delivery delivery)
    {
        var received = client.Received(delivery.ConversationId);
        lock (received)
        {
            received.Add(delivery.Seq);
        }

        if (delivery.IsLoadMessage)
        {
            var counter = _steps.GetOrAdd(delivery.Step, _ => new StepCounter());
            Interlocked.Increment(ref counter.Count);
            counter.Latency.Record((long)Stopwatch.GetElapsedTime(delivery.SentTimestamp).TotalMicroseconds);
            counter.EachSecond.AddOrUpdate(Stopwatch.GetTimestamp() / Stopwatch.Frequency, 1, (_, n) => n + 1);
        }
    }

    private void Emit(WorkerEvent workerEvent)
    {
        var line = JsonSerializer.Serialize(workerEvent, WorkerJson.Options);
        lock (_output)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    private static string Describe(Exception exception) =>
        $"{exception.GetType().Name}: {exception.Message}" is var text && text.Length > 160 ? text[..160] : text;

    /// <summary>Drops every connection at once, without a close handshake, as a network failure would.</summary>
    private Task CloseAllAsync() =>
        Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (client, _) => await client.DisposeAsync());

    public async ValueTask DisposeAsync()
    {
        await CloseAllAsync();
        foreach (var sockets in _sockets)
        {
            sockets.Dispose();
        }

        _api.Dispose();
        _gcPauses.Dispose();
    }

    private sealed class StepCounter
    {
        public long Count;

        public LatencyHistogram Latency { get; } = new();

        /// <summary>Deliveries by the monotonic second they arrived in: the clock every worker shares, so the coordinator can add them up.</summary>
        public ConcurrentDictionary<long, long> EachSecond { get; } = new();
    }

    /// <summary>One user: their realtime connection and what it received.</summary>
    private sealed class Client(WorkerUser user) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<Guid, SeqSet> _received = new();
        private volatile bool _ready;

        public WorkerUser User { get; } = user;

        public IChatConnection? Connection { get; private set; }

        /// <summary>The node this client last connected to.</summary>
        public Uri? Realtime { get; private set; }

        public SeqSet Received(Guid conversationId) => _received.GetOrAdd(conversationId, _ => new SeqSet());

        /// <summary>
        /// Returns once this client is connected to a node other than the failed one, or once its worker's move ended
        /// (it could not be moved): when its own reconnect would let it send again.
        /// </summary>
        public async Task MovedAsync(Uri failedNode, Task move, CancellationToken cancellationToken)
        {
            while (!move.IsCompleted && !(_ready && Realtime != failedNode && Connection is { IsConnected: true }))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
        }

        /// <summary>Connects and waits until the server has joined the connection to its groups; the error when it could not.</summary>
        public async Task<string?> ConnectAsync(Worker worker, Uri realtime, LoopbackWebSockets sockets, CancellationToken cancellationToken)
        {
            Realtime = realtime;
            var events = new ChatConnectionEvents(
                message => worker.OnMessageReceived(this, message),
                () =>
                {
                    if (_ready)
                    {
                        Interlocked.Increment(ref worker._dropped);
                    }
                });
            var token = worker._tokens.For(User.Id, User.SessionId);
            var bare = worker._plan.Client == "bare" || (worker._plan.IdleClient && User.Conversations.Count == 0);
            Connection = (worker._plan.Server, bare) switch
            {
                ("socketio", true) => new BareSocketIoConnection(realtime, token, sockets, events),
                ("socketio", false) => new SocketIoChatConnection(realtime, token, OperationTimeout, events),
                (_, true) => new BareHubConnection(realtime, token, sockets, events),
                _ => new SignalRChatConnection(worker._plan, realtime, token, sockets, events),
            };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(OperationTimeout);
            try
            {
                await Connection.ConnectAsync(timeout.Token);
                _ready = true;
                return null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return Describe(exception);
            }
        }

        public async Task<string?> SendAsync(Worker worker, string via, Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken)
        {
            // Not before the connect has returned: an open socket whose connect is not yet accepted is no place for a
            // message (the peer closes a connection that sends an event before it joined).
            if (via == "hub" && !(_ready && Connection is { IsConnected: true }))
            {
                return "not connected";
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(OperationTimeout);
            try
            {
                if (via == "hub")
                {
                    await Connection!.SendMessageAsync(conversationId, clientMessageId, body, timeout.Token);
                    return null;
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/messages")
                {
                    Content = JsonContent.Create(new SendMessageRequest(clientMessageId, body, null), options: WorkerJson.Contract),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", worker._tokens.For(User.Id, User.SessionId));
                using var response = await worker._api.SendAsync(request, timeout.Token);
                return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return Describe(exception);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _ready = false;
            if (Connection is not null)
            {
                await Connection.DisposeAsync();
                Connection = null;
            }
        }
    }
}
