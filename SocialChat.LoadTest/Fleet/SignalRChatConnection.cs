using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;

namespace SocialChat.LoadTest.Fleet;

/// <summary>SocialChat's hub (<c>/hubs/chat</c>) through the .NET SignalR client over WebSockets, from a chosen source address.</summary>
internal sealed class SignalRChatConnection : IChatConnection
{
    private readonly HubConnection _connection;

    public SignalRChatConnection(WorkerPlan plan, Uri realtime, string accessToken, LoopbackWebSockets sockets, ChatConnectionEvents events)
    {
        var builder = new HubConnectionBuilder().WithUrl(
            HubUri(realtime, accessToken),
            options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.WebSocketFactory = (context, ct) => sockets.ConnectAsync(context.Uri, ct);
            });
        if (plan.Protocol == "messagepack")
        {
            builder.AddMessagePackProtocol(options => options.SerializerOptions = ContractMessagePackResolver.Options);
        }
        else
        {
            builder.AddJsonProtocol(options => ContractJson.Apply(options.PayloadSerializerOptions));
        }

        _connection = builder.Build();
        _connection.ServerTimeout = plan.ServerTimeout;
        _connection.On<MessageResponse>("MessageReceived", message => events.MessageReceived(Delivery.From(message)));
        _connection.Closed += _ =>
        {
            events.Closed();
            return Task.CompletedTask;
        };
    }

    public bool IsConnected => _connection.State == HubConnectionState.Connected;

    /// <summary>The hub with the token as a browser sends it (<c>access_token</c>), for any client of SocialChat's hub.</summary>
    public static Uri HubUri(Uri realtime, string accessToken) => new(realtime, $"/hubs/chat?access_token={Uri.EscapeDataString(accessToken)}");

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await _connection.StartAsync(cancellationToken);
        // The handshake returns before the server joined the groups; its first invocation runs after that.
        await _connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Array.Empty<Guid>(), cancellationToken);
    }

    public Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken) =>
        _connection.InvokeAsync<MessageResponse>("SendMessage", conversationId, clientMessageId, body, null, cancellationToken);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
