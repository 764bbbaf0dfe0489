using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;

namespace SocialChat.LoadTest.Seeding;

/// <summary>
/// Access tokens for the seeded sessions, signed where they are used (a worker, or the coordinator for <c>api</c>) with
/// the services' own issuer, and signed again when one has less than two minutes left. A token lives 15 minutes, as
/// the services issue it, while a large run (seeding, connecting 100,000 users, the steps, the catch-up) can take longer.
/// </summary>
internal sealed class SessionTokens(string signingKey)
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(2);

    private readonly AccessTokenIssuer _issuer = new(Options.Create(new JwtOptions { SigningKey = signingKey }), TimeProvider.System);
    private readonly ConcurrentDictionary<Guid, (string Token, DateTime ExpiresAt)> _tokens = new();

    public string For(Guid userId, Guid sessionId)
    {
        if (_tokens.TryGetValue(userId, out var current) && current.ExpiresAt - DateTime.UtcNow > RenewBefore)
        {
            return current.Token;
        }

        var issued = _issuer.Issue(userId, sessionId);
        _tokens[userId] = issued;
        return issued.Token;
    }
}
