using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;

namespace SocialChat.Tests.Support;

/// <summary>A user's SignalR connection to one Realtime replica, recording every event it receives.</summary>
public sealed class HubClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<(string Name, object Payload)> _events = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private HubClient(HubConnection connection)
    {
        Connection = connection;
        Record<MessageResponse>("MessageReceived");
        Record<MessageResponse>("MessageEdited");
        Record<MessageDeletedEvent>("MessageDeleted");
        Record<TypingChangedEvent>("TypingChanged");
        Record<ReadReceiptEvent>("ReadReceipt");
        Record<PresenceResponse>("PresenceChanged");
        Record<ConversationResponse>("ConversationChanged");
        Record<ConversationRemovedEvent>("ConversationRemoved");
        Record<NotificationResponse>("Notification");
        connection.Closed += error =>
        {
            Closed.TrySetResult(error);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Completes when the connection closes, with the error it closed with (the server's reason), if any.</summary>
    public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="reconnect">Reconnect automatically with this policy (by default a dropped connection stays closed).</param>
    /// <param name="configure">Further connection options, e.g. trusting nginx's self-signed certificate in the deployment tests.</param>
    public static async Task<HubClient> ConnectAsync(
        Uri realtime, string accessToken, bool messagePack = false, IRetryPolicy? reconnect = null, Action<HttpConnectionOptions>? configure = null)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(realtime, "/hubs/chat"), options =>
        {
            options.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            options.Transports = HttpTransportType.WebSockets;
            options.SkipNegotiation = true;
            configure?.Invoke(options);
        });
        if (reconnect is not null)
        {
            builder.WithAutomaticReconnect(reconnect);
        }

        if (messagePack)
        {
            builder.AddMessagePackProtocol(options => options.SerializerOptions = ContractMessagePackResolver.Options);
        }
        else
        {
            builder.AddJsonProtocol(options => ContractJson.Apply(options.PayloadSerializerOptions));
        }

        var client = new HubClient(builder.Build());
        try
        {
            await client.Connection.StartAsync();

            // StartAsync returns at the handshake, before the server has joined the connection to its groups;
            // invocations are dispatched only after that, so one round trip means events will reach it.
            await client.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Array.Empty<Guid>());
            return client;
        }
        catch (Exception exception)
        {
            // A server that refuses the connection (OnConnectedAsync throws) closes it with its reason. When the close
            // arrives before the first invocation is sent, the invocation fails only with "not active": the reason is
            // the close's.
            var refusal = exception is InvalidOperationException
                && await Task.WhenAny(client.Closed.Task, Task.Delay(DefaultWait)) == client.Closed.Task
                ? client.Closed.Task.Result
                : null;

            // A connection that failed to start must not linger, reconnecting, and count against the user's cap.
            await client.DisposeAsync();
            if (refusal is not null)
            {
                throw refusal;
            }

            throw;
        }
    }

    /// <summary>Waits for an event of that name whose payload matches.</summary>
    public async Task<T> WaitForAsync<T>(string name, Func<T, bool>? match = null, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultWait);
        while (true)
        {
            if (Received<T>(name).FirstOrDefault(e => match?.Invoke(e) ?? true) is { } found)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {name} event arrived; received: {string.Join(", ", _events.Select(e => e.Name))}");
            }
        }
    }

    public IReadOnlyList<T> Received<T>(string name) => [.. _events.Where(e => e.Name == name).Select(e => (T)e.Payload)];

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    private void Record<T>(string name) =>
        Connection.On<T>(name, payload =>
        {
            _events.Enqueue((name, payload!));
            _arrived.Release();
        });
}
