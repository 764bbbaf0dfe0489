using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SocialChat.Data.Realtime;

/// <summary>This node's hub connections by session, so a revoked session's connections can be closed here at once.</summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, HubCallerContext>> _bySession = new();

    /// <summary>This process's identity in the presence sets and the heartbeat.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    public void Add(Guid sessionId, HubCallerContext connection) =>
        _bySession.GetOrAdd(sessionId, _ => new ConcurrentDictionary<string, HubCallerContext>())[connection.ConnectionId] = connection;

    public void Remove(Guid sessionId, string connectionId)
    {
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
