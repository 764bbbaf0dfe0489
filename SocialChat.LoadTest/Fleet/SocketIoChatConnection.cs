using System.Text.Json;
using SocialChat.Data.Messages;
using SocketIOClient;
using SocketIOClient.Transport;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// The Node.js + Socket.IO peer (<c>benchmarks/peer-socketio</c>) through the SocketIOClient library over WebSockets.
/// The library opens its sockets itself, from 127.0.0.1: ~28,000 connections per peer port at most.
/// </summary>
internal sealed class SocketIoChatConnection : IChatConnection
{
    private readonly SocketIO _client;
    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SocketIoChatConnection(Uri peer, string accessToken, TimeSpan connectTimeout, ChatConnectionEvents events)
    {
        _client = new SocketIO(peer, new SocketIOOptions
        {
            EIO = 4,
            Transport = TransportProtocol.WebSocket,
            Reconnection = false,
            ConnectionTimeout = connectTimeout,
            Auth = new Dictionary<string, string> { ["access_token"] = accessToken },
        });
        // Payloads are read with the contract's options here: the library's serializer changes the options it is given.
        _client.On("MessageReceived", response => events.MessageReceived(Delivery.From(response.GetValue(0).Deserialize<MessageResponse>(WorkerJson.Contract)!)));
        _client.OnConnected += (_, _) => _accepted.TrySetResult();
        _client.OnError += (_, error) => _accepted.TrySetException(new InvalidOperationException($"Socket.IO connect refused: {error}"));
        _client.OnDisconnected += (_, _) => events.Closed();
    }

    public bool IsConnected => _client.Connected;

    /// <summary>The peer joins a connection to its rooms before it accepts it: connected means joined.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // The library's ConnectAsync can return before the server answered the Socket.IO CONNECT (seen under load): wait for that answer.
        await _client.ConnectAsync().WaitAsync(cancellationToken);
        await _accepted.Task.WaitAsync(cancellationToken);
    }

    public async Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken)
    {
        var acknowledged = new TaskCompletionSource<PeerAcknowledgement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _client.EmitAsync("SendMessage", cancellationToken, response => acknowledged.TrySetResult(response.GetValue(0).Deserialize<PeerAcknowledgement>(WorkerJson.Contract)!),
            conversationId, clientMessageId, body, null!);
        var acknowledgement = await acknowledged.Task.WaitAsync(cancellationToken);
        if (acknowledgement.Message is null)
        {
            throw new InvalidOperationException($"SendMessage refused: {acknowledgement.Error}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The peer's answer to SendMessage: the stored message, or why not.</summary>
internal sealed record PeerAcknowledgement(MessageResponse? Message, string? Error);
