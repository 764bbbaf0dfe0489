using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Users;

namespace SocialChat.Data.Auth;

/// <summary>Registration, sign-in, refresh with rotation, sign-out and the session list: one method per use case.</summary>
public sealed class Accounts(
    SocialDbContext db,
    SessionStore sessions,
    AccessTokenIssuer accessTokens,
    RefreshTokens refreshTokens,
    IPasswordHasher<User> passwordHasher,
    LoginThrottle loginThrottle,
    IOptions<JwtOptions> jwtOptions,
    TimeProvider time)
{
    private const string InvalidCredentials = "The login or the password is wrong.";
    private const string InvalidRefreshToken = "The refresh token is not valid; sign in again.";

    // Verified against when the login names nobody.
    private static readonly Lazy<string> DummyHash = new(() => new PasswordHasher<User>().HashPassword(null!, "not-a-real-password-0"));

    public async Task<Result<AuthResult>> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var username = AccountRules.CheckUsername(request.Username, errors);
        var email = AccountRules.CheckEmail(request.Email, errors);
        var displayName = AccountRules.CheckDisplayName(request.DisplayName, errors);
        var password = request.Password is null ? null : PasswordPolicy.Normalize(request.Password);
        if (PasswordPolicy.Check(password) is { } passwordError)
        {
            errors["password"] = [passwordError];
        }

        if (errors.Count > 0)
        {
            return new DomainError.Invalid(errors);
        }

        var user = new User
        {
            Username = username!,
            Email = email!,
            NormalizedEmail = email!.ToUpperInvariant(),
            DisplayName = displayName ?? username!,
            PasswordHash = string.Empty,
        };
        user.PasswordHash = passwordHasher.HashPassword(user, password!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            // The unique indexes decide concurrent registrations; exactly one of them gets here without an error.
            return new DomainError.Conflict(unique.ConstraintName?.Contains("email", StringComparison.Ordinal) == true
                ? "An account with this email already exists."
                : "This username is taken.");
        }

        return await StartSessionAsync(user, deviceName: null, cancellationToken);
    }

    public async Task<Result<AuthResult>> SignInAsync(LoginRequest request, string? clientAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Login) || string.IsNullOrEmpty(request.Password))
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(request.Login))
            {
                errors["login"] = ["The login (username or email) is required."];
            }

            if (string.IsNullOrEmpty(request.Password))
            {
                errors["password"] = ["The password is required."];
            }

            return new DomainError.Invalid(errors);
        }

        if (request.DeviceName is { } deviceName && TextInput.CharacterCount(deviceName) > AccountRules.MaxDeviceNameLength)
        {
            return DomainError.Invalid.Field("deviceName", $"The device name must be at most {AccountRules.MaxDeviceNameLength} characters.");
        }

        // Such a login names no account; refused before it reaches the throttle's keys or a query.
        foreach (var (field, text) in new[] { ("login", request.Login), ("deviceName", request.DeviceName) })
        {
            if (TextInput.ControlCharacterError(text, field) is { } refused)
            {
                return DomainError.Invalid.Field(field, refused);
            }
        }

        var login = request.Login.Trim();
        var isEmail = login.Contains('@', StringComparison.Ordinal);
        var normalizedLogin = isEmail ? login.ToUpperInvariant() : login.ToLowerInvariant();
        var user = isEmail
            ? await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalizedLogin, cancellationToken)
            : await db.Users.SingleOrDefaultAsync(u => u.Username == normalizedLogin, cancellationToken);

        // Looked up first so the count is the account's, whichever spelling of it was typed.
        var attempt = await loginThrottle.BeginAttemptAsync(user?.Id, normalizedLogin, clientAddress);
        if (attempt.RetryAfter is { } retryAfter)
        {
            return new DomainError.TooManyRequests("Too many failed logins; try again later.", retryAfter);
        }

        // A login that names nobody is checked against a dummy hash by the same steps, so both failures take the same time.
        var password = PasswordPolicy.Normalize(request.Password);
        var match = MatchPassword(user, user?.PasswordHash ?? DummyHash.Value, request.Password, password);
        if (user is null || match == PasswordMatch.None)
        {
            loginThrottle.Failed(attempt, clientAddress);
            return new DomainError.Unauthorized(InvalidCredentials);
        }

        await loginThrottle.TakeBackAttemptAsync(user.Id, normalizedLogin, clientAddress);

        if (match == PasswordMatch.AsTyped)
        {
            // Registered before passwords were normalised: from now on the hash is the normalised password's.
            var rehashed = passwordHasher.HashPassword(user, password);
            await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, rehashed), cancellationToken);
        }

        return await StartSessionAsync(user, request.DeviceName?.Trim(), cancellationToken);
    }

    private enum PasswordMatch
    {
        None,
        Normalized,
        AsTyped,
    }

    /// <summary>
    /// Which form of the password the hash is of: the normalised one, or (an account registered before passwords were
    /// normalised) the password as typed, tried only when the two differ.
    /// </summary>
    private PasswordMatch MatchPassword(User? user, string hash, string typed, string normalized) =>
        passwordHasher.VerifyHashedPassword(user!, hash, normalized) != PasswordVerificationResult.Failed ? PasswordMatch.Normalized
        : typed != normalized && passwordHasher.VerifyHashedPassword(user!, hash, typed) != PasswordVerificationResult.Failed ? PasswordMatch.AsTyped
        : PasswordMatch.None;

    /// <summary>
    /// Rotation with reuse detection: a refresh token works once. Presenting one that was already rotated —
    /// a replay, or the loser of two concurrent refreshes — revokes the whole session, as the contract says.
    /// </summary>
    public async Task<Result<AuthResult>> RefreshAsync(RefreshRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken))
        {
            return DomainError.Invalid.Field("refreshToken", "The refresh token is required.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var hash = RefreshTokens.Hash(request.RefreshToken);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.RefreshTokenHash == hash, cancellationToken);
        if (session is null)
        {
            // Not a session's current token; one of its earlier tokens is a replay.
            return refreshTokens.TryRead(request.RefreshToken, out var sessionId, out var refreshes)
                && await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken) is { } replayed
                && IsLive(replayed, now) && refreshes < replayed.Refreshes
                    ? await RevokeForReuseAsync(replayed, cancellationToken)
                    : new DomainError.Unauthorized(InvalidRefreshToken);
        }

        if (!IsLive(session, now))
        {
            return new DomainError.Unauthorized(InvalidRefreshToken);
        }

        var refreshToken = refreshTokens.Issue(session.Id, session.Refreshes + 1);
        var refreshTokenHash = RefreshTokens.Hash(refreshToken);
        var expiresAt = now + jwtOptions.Value.RefreshTokenLifetime;
        var rotated = await db.Sessions
            .Where(s => s.Id == session.Id && s.RefreshTokenHash == hash && s.RevokedAt == null)
            .ExecuteUpdateAsync(
                s => s.SetProperty(x => x.RefreshTokenHash, refreshTokenHash)
                    .SetProperty(x => x.Refreshes, x => x.Refreshes + 1)
                    .SetProperty(x => x.LastSeenAt, now)
                    .SetProperty(x => x.ExpiresAt, expiresAt),
                cancellationToken);
        if (rotated == 0)
        {
            return await RevokeForReuseAsync(session, cancellationToken);
        }

        session.ExpiresAt = expiresAt;
        await sessions.RememberAsync(session.Id, session.UserId, expiresAt);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == session.UserId, cancellationToken);
        return Result(user, session, refreshToken);
    }

    public async Task SignOutAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken) =>
        await sessions.RevokeAsync(db, sessionId, userId, cancellationToken);

    public async Task<Result<bool>> RevokeSessionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken) =>
        await sessions.RevokeAsync(db, sessionId, userId, cancellationToken)
            ? true
            : new DomainError.NotFound("Session not found.");

    public async Task<IReadOnlyList<SessionResponse>> ListSessionsAsync(Guid userId, Guid currentSessionId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.RevokedAt == null && s.ExpiresAt > now)
            .OrderByDescending(s => s.LastSeenAt)
            .Select(s => new SessionResponse(s.Id, s.DeviceName, s.CreatedAt, s.LastSeenAt, s.Id == currentSessionId))
            .ToListAsync(cancellationToken);
    }

    private async Task<AuthResult> StartSessionAsync(User user, string? deviceName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var sessionId = Guid.CreateVersion7();
        var refreshToken = refreshTokens.Issue(sessionId, refreshes: 0);
        var session = new Session
        {
            Id = sessionId,
            UserId = user.Id,
            DeviceName = string.IsNullOrEmpty(deviceName) ? null : deviceName,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + jwtOptions.Value.RefreshTokenLifetime,
            RefreshTokenHash = RefreshTokens.Hash(refreshToken),
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        await sessions.RememberAsync(session.Id, session.UserId, session.ExpiresAt);
        return Result(user, session, refreshToken);
    }

    private static bool IsLive(Session session, DateTime now) => session.RevokedAt is null && session.ExpiresAt > now;

    private async Task<Result<AuthResult>> RevokeForReuseAsync(Session session, CancellationToken cancellationToken)
    {
        await sessions.RevokeAsync(db, session.Id, session.UserId, cancellationToken);
        return new DomainError.Unauthorized("This refresh token was already used; the session has been signed out.");
    }

    private AuthResult Result(User user, Session session, string refreshToken)
    {
        var (accessToken, accessTokenExpiresAt) = accessTokens.Issue(user.Id, session.Id);
        return new AuthResult(UserResponse.From(user), accessToken, accessTokenExpiresAt, refreshToken, session.ExpiresAt);
    }
}
