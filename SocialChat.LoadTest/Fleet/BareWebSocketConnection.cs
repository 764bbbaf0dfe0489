using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// A realtime connection written straight onto a WebSocket, with no client library (<c>--client bare</c>): one receive
/// loop per connection that hands each whole text message to the protocol, and one send at a time. The server does the
/// same work for it as for the library's client, which runs more machinery per message (pipes, timers, binders); on a
/// machine the load tool shares with the servers, that machinery's CPU is taken from the servers it measures.
/// </summary>
internal abstract class BareWebSocketConnection(ChatConnectionEvents events) : IChatConnection
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _pending = new();
    private long _lastId;
    private WebSocket? _socket;
    private volatile bool _disposed;

    public bool IsConnected => _socket?.State == WebSocketState.Open;

    public abstract Task ConnectAsync(CancellationToken cancellationToken);

    public abstract Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        _disposed = true;
        _socket?.Abort();
        _socket?.Dispose();
        _sending.Dispose();
        foreach (var pending in _pending.Values)
        {
            pending.TrySetCanceled();
        }

        return ValueTask.CompletedTask;
    }

    protected ChatConnectionEvents Events { get; } = events;

    /// <summary>Opens the socket and starts reading it: every text message goes to <see cref="OnMessage"/>, in order.</summary>
    protected async Task OpenAsync(Func<Uri, CancellationToken, ValueTask<WebSocket>> connect, Uri uri, CancellationToken cancellationToken)
    {
        _socket = await connect(uri, cancellationToken);
        _ = ReceiveUntilClosedAsync(_socket);
    }

    /// <summary>One whole message of the protocol, UTF-8.</summary>
    protected abstract void OnMessage(ReadOnlySpan<byte> message);

    /// <summary>What the protocol does when the socket closed (and why), before the owner hears of a drop.</summary>
    protected virtual void OnClosed(string reason)
    {
    }

    protected async Task SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket!.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    protected Task SendAsync(string message, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(message), cancellationToken);

    /// <summary>A ping or pong, sent without a caller to tell: if the socket is closing, the receive loop reports it.</summary>
    protected async Task SendKeepAliveAsync(byte[] frame)
    {
        try
        {
            await SendAsync(frame, CancellationToken.None);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The receive loop sees the close.
        }
    }

    /// <summary>A new id for a request whose answer <see cref="Answer"/> will carry; the task completes with that answer.</summary>
    protected (long Id, Task<string> Answer) Expect()
    {
        var id = Interlocked.Increment(ref _lastId);
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        return (id, answer.Task);
    }

    /// <summary>Hands the answer to request <paramref name="id"/> to whoever waits for it: empty when the server accepted it, else why not.</summary>
    protected void Answer(long id, string answer)
    {
        if (_pending.TryRemove(id, out var pending))
        {
            pending.TrySetResult(answer);
        }
    }

    /// <summary>
    /// Waits for the answer to <paramref name="request"/>, and throws the server's refusal (an answer that is not
    /// empty); forgets the request when the wait is given up.
    /// </summary>
    protected async Task AcceptedAsync(string request, long id, Task<string> answer, CancellationToken cancellationToken)
    {
        string refusal;
        try
        {
            refusal = await answer.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }

        if (refusal.Length > 0)
        {
            throw new InvalidOperationException($"{request} refused: {refusal}");
        }
    }

    private async Task ReceiveUntilClosedAsync(WebSocket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var message = new ArrayBufferWriter<byte>(4096);
        var closedBecause = "the connection closed";
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (received.EndOfMessage && message.WrittenCount == 0)
                {
                    OnMessage(buffer.AsSpan(0, received.Count));
                    continue;
                }

                message.Write(buffer.AsSpan(0, received.Count));
                if (received.EndOfMessage)
                {
                    OnMessage(message.WrittenSpan);
                    message.ResetWrittenCount();
                }
            }
        }
        catch (Exception exception)
        {
            // Closed, or the server closed it (a hub's close message), or sent what the protocol cannot read: either way
            // the connection is gone, and counted so.
            closedBecause = exception.Message;
            socket.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new WebSocketException($"No answer from the server: {closedBecause}"));
        }

        OnClosed(closedBecause);
        if (!_disposed)
        {
            Events.Closed();
        }
    }
}
