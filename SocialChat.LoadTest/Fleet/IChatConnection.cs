using SocialChat.Data.Messages;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// One user's realtime connection, whatever the server: connect (and be in every conversation's group when that
/// returns), send a message and wait for its acknowledgement, hear MessageReceived. The scenarios and their
/// accounting are the same for every server; only this differs (<c>--server signalr|socketio</c>).
/// </summary>
internal interface IChatConnection : IAsyncDisposable
{
    bool IsConnected { get; }

    /// <summary>Returns once the server has joined the connection to its groups; throws when it could not connect.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Returns once the server acknowledged the message as committed; throws when it refused or failed.</summary>
    Task SendMessageAsync(Guid conversationId, Guid clientMessageId, string body, CancellationToken cancellationToken);
}

/// <summary>What a connection tells its owner: a message arrived, or the connection closed without being asked to.</summary>
internal sealed record ChatConnectionEvents(Action<Delivery> MessageReceived, Action Closed);
