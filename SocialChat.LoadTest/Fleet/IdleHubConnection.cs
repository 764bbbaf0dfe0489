using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// An idle hub connection for <c>connect --idle-client true</c>: the SignalR JSON protocol over a bare WebSocket, the
/// handshake and the first invocation (after which the server has joined the connection to its groups), then only
/// pings. A full HubConnection runs a one-second timer of its own; 65,000 of them beside six servers on two cores made
/// the load tool the limit and its pings late (BENCHMARKS.md, the 100,000 attempt). Here one timer per worker process
/// pings each connection as often as the .NET client would (15 s), a slice of them every 100 ms: pinging all 15,000
/// of a worker at once held the nodes busy for a moment every 15 s, and a chat's messages waited behind it.
/// </summary>
internal sealed class IdleHubConnection(Uri realtime, string accessToken, LoopbackWebSockets sockets, ChatConnectionEvents events) : IChatConnection
{
    private const char RecordSeparator = '\u001e';

    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] FirstInvocation = Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"0\",\"target\":\"SubscribePresence\",\"arguments\":[[]]}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SliceInterval = TimeSpan.FromMilliseconds(100);
    private static readonly ConcurrentDictionary<IdleHubConnection, byte>[] OpenBySlice =
        [.. Enumerable.Range(0, (int)(PingInterval / SliceInterval)).Select(_ => new ConcurrentDictionary<IdleHubConnection, byte>())];
    private static readonly Timer Pinger = new(_ => PingNextSlice(), null, SliceInterval, SliceInterval);
    private static int _connectionsOpened;
    private static int _slicesPinged;

    private readonly SemaphoreSlim _sending = new(1, 1);
    private WebSocket? _socket;
    private volatile bool _disposed;

    public bool IsConnected => _socket?.State == WebSocketState.Open;

    /// <summary>The open connections pinged in the same slice as this one.</summary>
    private ConcurrentDictionary<IdleHubConnection, byte> Open { get; } = OpenBySlice[Interlocked.Increment(ref _connectionsOpened) % OpenBySlice.Length];

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var hub = new UriBuilder(SignalRChatConnection.HubUri(realtime, accessToken)) { Scheme = realtime.Scheme == "https" ? "wss" : "ws" };
        _socket = await sockets.ConnectAsync(hub.Uri, cancellationToken);
        await SendAsync(Handshake, cancellationToken);
        var reader = new RecordReader(_socket);
        var handshake = await reader.NextAsync(cancellationToken);
        if (handshake != "{}")
        {
            throw new InvalidOperationException($"Handshake refused: {handshake}");
        }

        await SendAsync(FirstInvocation, cancellationToken);
        while (await reader.NextAsync(cancellationToken) is var record && !record.Contains("\"type\":3", StringComparison.Ordinal))
        {
            if (record.Contains("\"type\":7", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Closed by the server: {record}");
            }
        }

        Open[this] = 0;
        _ = ReceiveUntilClosedAsync();
    }

    public Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken) =>
        throw new NotSupportedException("An idle connection only connects and pings (connect --idle-client).");

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        Open.TryRemove(this, out _);
        _socket?.Abort();
        _socket?.Dispose();
        _sending.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void PingNextSlice()
    {
        foreach (var connection in OpenBySlice[Interlocked.Increment(ref _slicesPinged) % OpenBySlice.Length].Keys)
        {
            _ = connection.PingAsync();
        }
    }

    private async Task PingAsync()
    {
        try
        {
            await SendAsync(Ping, CancellationToken.None);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The receive loop sees the close.
        }
    }

    private async Task SendAsync(byte[] record, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket!.SendAsync(record, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Reads and drops what the server sends (its pings) until the socket closes, then reports a drop.</summary>
    private async Task ReceiveUntilClosedAsync()
    {
        var buffer = new byte[256];
        try
        {
            while ((await _socket!.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed.
        }

        Open.TryRemove(this, out _);
        if (!_disposed)
        {
            events.Closed();
        }
    }

    /// <summary>The records of the SignalR text protocol, each ended by U+001E, however the messages split them.</summary>
    private sealed class RecordReader(WebSocket socket)
    {
        private readonly StringBuilder _pending = new();
        private readonly byte[] _buffer = new byte[4096];

        public async Task<string> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var text = _pending.ToString();
                var end = text.IndexOf(RecordSeparator, StringComparison.Ordinal);
                if (end >= 0)
                {
                    _pending.Remove(0, end + 1);
                    return text[..end];
                }

                var received = await socket.ReceiveAsync(_buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"Closed by the server during the handshake: {received.CloseStatusDescription}");
                }

                _pending.Append(Encoding.UTF8.GetString(_buffer, 0, received.Count));
            }
        }
    }
}
