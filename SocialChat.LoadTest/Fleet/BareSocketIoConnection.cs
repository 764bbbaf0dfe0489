using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// The Node.js + Socket.IO peer (<c>benchmarks/peer-socketio</c>) in Socket.IO 5 over Engine.IO 4 on a bare WebSocket
/// (<c>--client bare</c>): CONNECT with the token as auth, events, acknowledgements, and the answer to the server's
/// pings. Unlike the SocketIOClient library it opens its sockets from the worker's own source addresses (127.0.0.2, …).
/// </summary>
internal sealed class BareSocketIoConnection(Uri peer, string accessToken, LoopbackWebSockets sockets, ChatConnectionEvents events)
    : BareWebSocketConnection(events)
{
    private static readonly byte[] Pong = "3"u8.ToArray();

    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The peer joins a connection to its rooms before it answers CONNECT: connected means joined.</summary>
    public override async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var engine = new UriBuilder(peer) { Scheme = peer.Scheme == "https" ? "wss" : "ws", Path = "/socket.io/", Query = "EIO=4&transport=websocket" };
        await OpenAsync(sockets.ConnectAsync, engine.Uri, cancellationToken);
        await SendAsync($"40{JsonSerializer.Serialize(new { access_token = accessToken })}", cancellationToken);
        await _accepted.Task.WaitAsync(cancellationToken);
    }

    public override async Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken)
    {
        var (id, answer) = Expect();
        var arguments = JsonSerializer.Serialize<object?[]>(["SendMessage", conversationId, clientMessageId, body, null]);
        await SendAsync(string.Create(CultureInfo.InvariantCulture, $"42{id}{arguments}"), cancellationToken);
        await AcceptedAsync("SendMessage", id, answer, cancellationToken);
    }

    protected override void OnClosed(string reason) => _accepted.TrySetException(new InvalidOperationException($"The peer closed the connection before accepting it: {reason}"));

    /// <summary>An Engine.IO packet: its type, then for a message (4) the Socket.IO packet: type, ack id, JSON.</summary>
    protected override void OnMessage(ReadOnlySpan<byte> message)
    {
        switch (message)
        {
            case [(byte)'2']:
                _ = SendKeepAliveAsync(Pong);
                break;
            case [(byte)'4', (byte)'0', ..]:
                _accepted.TrySetResult();
                break;
            case [(byte)'4', (byte)'4', .. var refusal]:
                _accepted.TrySetException(new InvalidOperationException($"Socket.IO connect refused: {Encoding.UTF8.GetString(refusal)}"));
                break;
            case [(byte)'4', (byte)'2', .. var eventPacket]:
                var reader = new Utf8JsonReader(eventPacket);
                reader.Read();
                reader.Read();
                if (reader.ValueTextEquals("MessageReceived"u8))
                {
                    reader.Read();
                    Events.MessageReceived(Delivery.Read(ref reader));
                }

                break;
            case [(byte)'4', (byte)'3', .. var ackPacket]:
                var digits = ackPacket.IndexOf((byte)'[');
                var acknowledgement = JsonSerializer.Deserialize<PeerAcknowledgement[]>(ackPacket[digits..], WorkerJson.Contract)![0];
                var id = long.Parse(Encoding.ASCII.GetString(ackPacket[..digits]), CultureInfo.InvariantCulture);
                Answer(id, acknowledgement.Message is null ? acknowledgement.Error ?? "no message in the acknowledgement" : string.Empty);
                break;
        }
    }
}
