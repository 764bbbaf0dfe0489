using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SocialChat.Data.Realtime;

/// <summary>This node's hub connections by session, so a revoked session's connections can be closed here at once.</summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, HubCallerContext>> _bySession = new();
    private readonly ConcurrentDictionary<string, Guid> _users = new();

    /// <summary>This process's identity in the presence sets and the heartbeat.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Each live connection on this node with its user: the truth the presence sets are reconciled to.</summary>
    public IReadOnlyDictionary<string, Guid> Users => _users;

    public void Add(Guid sessionId, Guid userId, HubCallerContext connection)
    {
        _bySession.GetOrAdd(sessionId, _ => new ConcurrentDictionary<string, HubCallerContext>())[connection.ConnectionId] = connection;
        _users[connection.ConnectionId] = userId;
    }

    public void Remove(Guid sessionId, string connectionId)
    {
        _users.TryRemove(connectionId, out _);
        if (_bySession.TryGetValue(sessionId, out var connections) && connections.TryRemove(connectionId, out _) && connections.IsEmpty)
        {
            _bySession.TryRemove(sessionId, out _);
        }
    }

    public void AbortSession(Guid sessionId)
    {
        if (_bySession.TryGetValue(sessionId, out var connections))
        {
            foreach (var connection in connections.Values)
            {
                connection.Abort();
            }
        }
    }
}
