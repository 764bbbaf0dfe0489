using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// SocialChat's hub in the SignalR JSON protocol over a bare WebSocket: the handshake, invocations and their
/// completions, MessageReceived, and pings. It is every connection with <c>--client bare</c>, and the idle connections
/// of <c>--idle-client</c>: a full HubConnection runs a one-second timer of its own, and 65,000 of them beside six
/// servers on two cores made the load tool the limit and its pings late (BENCHMARKS.md, the 100,000 attempt). Here
/// one timer per worker process pings each connection as often as the .NET client would (15 s), a slice of them every
/// 100 ms: pinging all 15,000 of a worker at once held the nodes busy for a moment every 15 s, and a chat's messages
/// waited behind it.
/// </summary>
internal sealed class BareHubConnection(Uri realtime, string accessToken, LoopbackWebSockets sockets, ChatConnectionEvents events)
    : BareWebSocketConnection(events)
{
    private const byte RecordSeparator = 0x1e;
    private const int InvocationMessage = 1;
    private const int CompletionMessage = 3;
    private const int CloseMessage = 7;

    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SliceInterval = TimeSpan.FromMilliseconds(100);
    private static readonly ConcurrentDictionary<BareHubConnection, byte>[] OpenBySlice =
        [.. Enumerable.Range(0, (int)(PingInterval / SliceInterval)).Select(_ => new ConcurrentDictionary<BareHubConnection, byte>())];
    private static readonly Timer Pinger = new(_ => PingNextSlice(), null, SliceInterval, SliceInterval);
    private static int _connectionsOpened;
    private static int _slicesPinged;

    private readonly TaskCompletionSource<string> _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The open connections pinged in the same slice as this one.</summary>
    private ConcurrentDictionary<BareHubConnection, byte> Open { get; } = OpenBySlice[Interlocked.Increment(ref _connectionsOpened) % OpenBySlice.Length];

    public override async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var hub = new UriBuilder(SignalRChatConnection.HubUri(realtime, accessToken)) { Scheme = realtime.Scheme == "https" ? "wss" : "ws" };
        await OpenAsync(sockets.ConnectAsync, hub.Uri, cancellationToken);
        await SendAsync(Handshake, cancellationToken);
        var handshake = await _handshake.Task.WaitAsync(cancellationToken);
        if (handshake != "{}")
        {
            throw new InvalidOperationException($"Handshake refused: {handshake}");
        }

        // The handshake returns before the server joined the groups; its first invocation runs after that.
        await InvokeAsync("SubscribePresence", writer =>
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
        }, cancellationToken);
        Open[this] = 0;
    }

    public override Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken) =>
        InvokeAsync("SendMessage", writer =>
        {
            writer.WriteStringValue(conversationId);
            writer.WriteStringValue(clientMessageId);
            writer.WriteStringValue(body);
            writer.WriteNullValue();
        }, cancellationToken);

    public override ValueTask DisposeAsync()
    {
        Open.TryRemove(this, out _);
        return base.DisposeAsync();
    }

    protected override void OnClosed(string reason) => Open.TryRemove(this, out _);

    /// <summary>A message may hold several records, each ended by U+001E: the first is the handshake's answer.</summary>
    protected override void OnMessage(ReadOnlySpan<byte> message)
    {
        for (var end = message.IndexOf(RecordSeparator); end >= 0; end = message.IndexOf(RecordSeparator))
        {
            OnRecord(message[..end]);
            message = message[(end + 1)..];
        }
    }

    /// <summary>
    /// Reads the fields of a hub protocol message this client acts on, and skips the rest (a completion's result, other
    /// invocations' arguments). SignalR's JSON protocol writes an invocation's target before its arguments.
    /// </summary>
    private void OnRecord(ReadOnlySpan<byte> record)
    {
        if (!_handshake.Task.IsCompleted)
        {
            _handshake.TrySetResult(Encoding.UTF8.GetString(record));
            return;
        }

        var reader = new Utf8JsonReader(record);
        reader.Read();
        int type = 0;
        string? invocationId = null, error = null;
        var isMessageReceived = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                isMessageReceived = reader.ValueTextEquals("MessageReceived"u8);
            }
            else if (reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                invocationId = reader.GetString();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.GetString();
            }
            else if (isMessageReceived && reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                reader.Read();
                Events.MessageReceived(Delivery.Read(ref reader));
                reader.Read();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        switch (type)
        {
            case CompletionMessage:
                Answer(long.Parse(invocationId!, System.Globalization.CultureInfo.InvariantCulture), error ?? string.Empty);
                break;
            case CloseMessage:
                throw new InvalidOperationException($"Closed by the server: {error}");
        }
    }

    /// <summary>Invokes a hub method and returns when its completion arrives; throws the hub's error, if it sent one.</summary>
    private async Task InvokeAsync(string target, Action<Utf8JsonWriter> writeArguments, CancellationToken cancellationToken)
    {
        var (id, answer) = Expect();
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type", InvocationMessage);
            writer.WriteString("invocationId", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("target", target);
            writer.WriteStartArray("arguments");
            writeArguments(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        buffer.Write([RecordSeparator]);
        await SendAsync(buffer.WrittenMemory, cancellationToken);
        await AcceptedAsync(target, id, answer, cancellationToken);
    }

    private static void PingNextSlice()
    {
        foreach (var connection in OpenBySlice[Interlocked.Increment(ref _slicesPinged) % OpenBySlice.Length].Keys)
        {
            _ = connection.SendKeepAliveAsync(Ping);
        }
    }
}
