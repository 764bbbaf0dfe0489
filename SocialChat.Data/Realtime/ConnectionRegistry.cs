using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SocialChat.Data.Realtime;

/// <summary>A hub connection live on this node: whose it is, and under which session it signed in.</summary>
public readonly record struct LiveConnection(Guid UserId, Guid SessionId, HubCallerContext Context);

/// <summary>This node's hub connections, so a revoked session's connections can be closed here at once.</summary>
public sealed class ConnectionRegistry
{
    // One entry per connection, no dictionary per session: a session nearly always has one connection here, and an
    // empty dictionary of its own cost each connection about 0.6 KiB (BENCHMARKS.md). A revocation (a sign-out) scans
    // this node's connections instead, well under a millisecond at the 19,000 a process can hold.
    private readonly ConcurrentDictionary<string, LiveConnection> _connections = new();

    /// <summary>This process's identity in the presence sets and the heartbeat.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Each live connection on this node by connection id: the truth the presence sets are reconciled to.</summary>
    public IReadOnlyDictionary<string, LiveConnection> Connections => _connections;

    public void Add(Guid sessionId, Guid userId, HubCallerContext connection) =>
        _connections[connection.ConnectionId] = new LiveConnection(userId, sessionId, connection);

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public void AbortSessions(IReadOnlySet<Guid> sessionIds)
    {
        foreach (var (_, connection) in _connections)
        {
            if (sessionIds.Contains(connection.SessionId))
            {
                connection.Context.Abort();
            }
        }
    }
}
