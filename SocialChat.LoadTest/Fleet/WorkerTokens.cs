using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SocialChat.Data.Auth;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// A worker's access tokens, signed where they are used with the services' own issuer, and signed again when one has
/// less than two minutes left. A token lives 15 minutes, as the services issue it, while a large run (seeding,
/// connecting 100,000 users, the steps, the catch-up) can take longer than that.
/// </summary>
internal sealed class WorkerTokens(string signingKey)
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(2);

    private readonly AccessTokenIssuer _issuer = new(Options.Create(new JwtOptions { SigningKey = signingKey }), TimeProvider.System);
    private readonly ConcurrentDictionary<Guid, (string Token, DateTime ExpiresAt)> _tokens = new();

    public string For(WorkerUser user)
    {
        if (_tokens.TryGetValue(user.Id, out var current) && current.ExpiresAt - DateTime.UtcNow > RenewBefore)
        {
            return current.Token;
        }

        var issued = _issuer.Issue(user.Id, user.SessionId);
        _tokens[user.Id] = issued;
        return issued.Token;
    }
}
