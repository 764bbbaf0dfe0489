using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Messages;
using MessageOperations = SocialChat.Data.Messages.Messages;

namespace SocialChat.Data.Realtime;

/// <summary>
/// The realtime door, <c>/hubs/chat</c>: each method validates, calls the same domain operation the REST
/// door calls, and returns its result or a HubException saying which rule refused it. It lives beside the
/// domain so that the Api and the Worker can address its clients through <c>IHubContext</c> and the backplane.
/// </summary>
/// <remarks>
/// SignalR builds a hub for every call, connect and disconnect, so what its constructor asks for is made each time:
/// the DbContext and the domain operations are asked for by the methods that use them, and a disconnect, which needs
/// neither, holds no DbContext. The pool has 1,024; past that, each is built anew (~70 KB), and a node that loses
/// 10,000 connections at once runs that many disconnects side by side (BENCHMARKS.md).
/// </remarks>
[Authorize]
public sealed class ChatHub(
    NpgsqlDataSource database,
    PresenceTracker presence,
    TypingThrottle typing,
    ConnectionRegistry connections,
    SessionStore sessions,
    IOptions<PresenceOptions> presenceOptions,
    IOptions<RedisOutageOptions> outage) : Hub<IChatClient>
{
    private Guid UserId => Context.User!.GetUserId();

    public override async Task OnConnectedAsync()
    {
        var userId = UserId;
        // Checked before this connection counts, so concurrent connects may pass the cap by a few: a guard, not a quota.
        if (await ConnectionCountOrZeroAsync(userId) >= presenceOptions.Value.MaxConnectionsPerUser)
        {
            throw new HubException($"Too many connections: a user may hold {presenceOptions.Value.MaxConnectionsPerUser}; close another one first.");
        }

        var conversationIds = await ConversationIdsOfAsync(database, userId, Context.ConnectionAborted);
        await JoinAsync(conversationIds);

        var sessionId = Context.User!.GetSessionId();
        connections.Add(sessionId, userId, Context);
        try
        {
            // A sign-out announced while this connect was under way found it nowhere: asked again now that it is
            // registered, where any later announcement finds it.
            if (!await sessions.IsLiveAsync(sessionId, userId, Context.ConnectionAborted))
            {
                throw new HubException("This session has been signed out; sign in again.");
            }

            await RecordPresenceAsync(userId);
            await CatchUpOnMembershipChangesAsync(userId, conversationIds);
        }
        catch
        {
            // SignalR calls OnDisconnectedAsync only after a connect that completed: what this one recorded goes here.
            await OnDisconnectedAsync(null);
            throw;
        }
    }

    private async Task JoinAsync(IEnumerable<Guid> conversationIds)
    {
        foreach (var conversationId in conversationIds)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, ChatGroups.Conversation(conversationId), Context.ConnectionAborted);
        }
    }

    private async Task RecordPresenceAsync(Guid userId)
    {
        try
        {
            await presence.ConnectedAsync(connections.NodeId, Context.ConnectionId, userId);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, CancellationToken.None))
        {
            // Redis went away this moment; the connection is good, and the next heartbeat records it. Whatever the
            // client did meanwhile: the write takes no token, so a cancellation is the Redis client's.
            presence.RequestReconcile();
        }
    }

    /// <summary>
    /// A membership change that committed after this connect read its conversations looked for the user's connections
    /// in presence before this one was recorded there, and its group change passed this connection by: a removed
    /// member's device would go on hearing the group, an added member's would not hear it. Read again once presence has
    /// the connection, since every change committed later finds it there.
    /// </summary>
    private async Task CatchUpOnMembershipChangesAsync(Guid userId, List<Guid> joined)
    {
        var current = await ConversationIdsOfAsync(database, userId, Context.ConnectionAborted);
        foreach (var conversationId in joined.Except(current))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, ChatGroups.Conversation(conversationId), Context.ConnectionAborted);
        }

        await JoinAsync(current.Except(joined));
    }

    /// <summary>The conversations whose groups a connection joins; also what a starting node runs once to warm its connect path.</summary>
    /// <remarks>
    /// Through the function conversation_ids_of (migration ConversationIdsOfFunction), whose plan PostgreSQL keeps: a node
    /// restart meets thousands of connects at once, and planning this statement cost more than running it (BENCHMARKS.md).
    /// </remarks>
    public static async Task<List<Guid>> ConversationIdsOfAsync(NpgsqlDataSource database, Guid userId, CancellationToken cancellationToken)
    {
        await using var query = database.CreateCommand("SELECT conversation_ids_of($1)");
        query.Parameters.Add(new NpgsqlParameter { Value = userId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var conversationIds = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            conversationIds.Add(reader.GetGuid(0));
        }

        return conversationIds;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        try
        {
            await presence.DisconnectedAsync(connections.NodeId, Context.ConnectionId, UserId);
        }
        catch (Exception failure) when (TransientFailures.IsRedisCallFailure(failure, CancellationToken.None))
        {
            // Left in Redis, the connection would keep its user online: the next heartbeat after Redis returns removes it.
            presence.RequestReconcile();
        }
    }

    public async Task<MessageResponse> SendMessage(Guid conversationId, Guid clientMessageId, string? body, long? replyToSeq, [FromServices] MessageOperations messages)
    {
        var result = await messages.SendAsync(UserId, conversationId, new SendMessageRequest(clientMessageId, body, replyToSeq), Context.ConnectionAborted);
        return result.IsSuccess ? result.Value.Message : throw result.Error.ToHubException();
    }

    public async Task MarkRead(Guid conversationId, long seq, [FromServices] MessageOperations messages)
    {
        var result = await messages.MarkReadAsync(UserId, conversationId, seq, Context.ConnectionAborted);
        if (!result.IsSuccess)
        {
            throw result.Error.ToHubException();
        }
    }

    /// <summary>
    /// At most one event per user and conversation every 2 s; a stop goes through once, while an indicator shows. Never sent back to the
    /// typer. Typing lives in Redis alone and is ephemeral: while Redis is away or hangs the event is dropped, after
    /// at most <see cref="RedisOutageOptions.DroppableWorkTimeout"/>, as live events are.
    /// </summary>
    public async Task Typing(Guid conversationId, bool isTyping, [FromServices] SocialDbContext db)
    {
        var userId = UserId;
        if (!await typing.IsMemberAsync(db, userId, conversationId, Context.ConnectionAborted))
        {
            throw new HubException("Conversation not found.");
        }

        try
        {
            await ForwardTypingAsync(userId, conversationId, isTyping).WaitAsync(outage.Value.DroppableWorkTimeout, Context.ConnectionAborted);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, Context.ConnectionAborted))
        {
            // Dropped; the next keystroke tries again.
        }
    }

    /// <summary>The current presence of these users, then PresenceChanged events for those the caller may see.</summary>
    /// <remarks>
    /// The events stop once the caller may no longer see a user (an unfollow, a block, no conversation shared any more:
    /// <see cref="IPresenceSubscriptions"/>); a user the caller may see again must be subscribed to again.
    /// </remarks>
    public async Task<IReadOnlyList<PresenceResponse>> SubscribePresence(Guid[] userIds)
    {
        if (userIds is null || userIds.Length > presenceOptions.Value.MaxUsersPerQuery)
        {
            throw new HubException($"Name between 0 and {presenceOptions.Value.MaxUsersPerQuery} users.");
        }

        if (userIds.Length == 0)
        {
            return new List<PresenceResponse>();
        }

        var max = presenceOptions.Value.MaxWatchedUsersPerConnection;
        var watched = WatchedUsers.For(Context);
        if (!watched.TryAdd(userIds, max))
        {
            throw new HubException($"A connection watches the presence of at most {max} users; open another connection for more.");
        }

        var changesChecked = watched.ChangesChecked;
        var visible = await presence.VisibleUsersAsync(UserId, userIds, Context.ConnectionAborted);
        foreach (var userId in visible.Keys)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, ChatGroups.Presence(userId), Context.ConnectionAborted);
        }

        if (watched.ChangesChecked != changesChecked)
        {
            // A change that may hide some of them was checked here while the groups were joined; its check may have come
            // before their joins, and ended nothing.
            var stillVisible = await presence.VisibleUsersAsync(UserId, visible.Keys, Context.ConnectionAborted);
            foreach (var userId in visible.Keys.Where(id => !stillVisible.ContainsKey(id)))
            {
                await Groups.RemoveFromGroupAsync(Context.ConnectionId, ChatGroups.Presence(userId), Context.ConnectionAborted);
            }

            visible = stillVisible;
        }

        return await presence.StatusOfAsync(userIds, visible);
    }

    /// <summary>
    /// The user's live connections, or 0 when Redis does not answer: a guard is no reason to refuse a connect (a
    /// burst of connects on a busy machine can wait on Redis past its timeout while the thread pool grows).
    /// </summary>
    private async Task<long> ConnectionCountOrZeroAsync(Guid userId)
    {
        try
        {
            return await presence.ConnectionCountAsync(userId);
        }
        catch (Exception exception) when (TransientFailures.IsRedisCallFailure(exception, Context.ConnectionAborted))
        {
            return 0;
        }
    }

    private async Task ForwardTypingAsync(Guid userId, Guid conversationId, bool isTyping)
    {
        if (await typing.ShouldForwardAsync(userId, conversationId, isTyping))
        {
            var typersConnections = await presence.ConnectionsOfAsync(userId);
            await Clients.GroupExcept(ChatGroups.Conversation(conversationId), typersConnections)
                .TypingChanged(new TypingChangedEvent(conversationId, userId, isTyping));
        }
    }
}

public static class DomainErrorHubExtensions
{
    /// <summary>How the hub door answers a refused domain operation: the same words REST puts in <c>detail</c>.</summary>
    public static HubException ToHubException(this DomainError error) => error switch
    {
        DomainError.Invalid invalid when invalid.Errors.Count > 0 =>
            new HubException($"{invalid.Detail} {string.Join(" ", invalid.Errors.SelectMany(e => e.Value))}".Trim()),
        _ => new HubException(error.Detail),
    };
}
