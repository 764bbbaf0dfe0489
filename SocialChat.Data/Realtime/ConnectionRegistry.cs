using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace SocialChat.Data.Realtime;

/// <summary>This node's hub connections by session, so a revoked session's connections can be closed here at once.</summary>
public sealed class ConnectionRegistry
{
    // One entry per connection, no dictionary per session: a session nearly always has one connection here, and an
    // empty dictionary of its own cost each connection about 0.6 KiB (BENCHMARKS.md). A revocation (a sign-out) scans
    // this node's connections instead, well under a millisecond at the 19,000 a process can hold.
    private readonly ConcurrentDictionary<string, (Guid SessionId, HubCallerContext Connection)> _sessions = new();
    private readonly ConcurrentDictionary<string, Guid> _users = new();

    /// <summary>This process's identity in the presence sets and the heartbeat.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Each live connection on this node with its user: the truth the presence sets are reconciled to.</summary>
    public IReadOnlyDictionary<string, Guid> Users => _users;

    public void Add(Guid sessionId, Guid userId, HubCallerContext connection)
    {
        _sessions[connection.ConnectionId] = (sessionId, connection);
        _users[connection.ConnectionId] = userId;
    }

    public void Remove(string connectionId)
    {
        _users.TryRemove(connectionId, out _);
        _sessions.TryRemove(connectionId, out _);
    }

    public void AbortSession(Guid sessionId)
    {
        foreach (var (_, (session, connection)) in _sessions)
        {
            if (session == sessionId)
            {
                connection.Abort();
            }
        }
    }
}
