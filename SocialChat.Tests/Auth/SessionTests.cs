using System.Buffers.Text;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SocialChat.Data.Auth;
using SocialChat.Data.Infrastructure;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;
using SocialChat.Tests.Hosting;
using StackExchange.Redis;

namespace SocialChat.Tests.Auth;

public sealed class SessionTests(SocialChatAppFixture fixture)
{
    private readonly HttpClient _anonymous = fixture.CreateHttpClient();

    [Fact]
    public async Task Login_works_with_username_or_email_and_fails_the_same_way_for_unknown_user_and_wrong_password()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var byName = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username.ToUpperInvariant(), password = user.Password, deviceName = "phone" });
        var byEmail = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = $"{user.User.Username}@example.com", password = user.Password });
        var wrongPassword = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = "not the password at all" });
        var unknownUser = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = TestUser.UniqueName(), password = "not the password at all" });

        Assert.Equal(user.Id, (await byName.ReadAsync<AuthResult>()).User.Id);
        Assert.Equal(user.Id, (await byEmail.ReadAsync<AuthResult>()).User.Id);
        var wrong = await ProblemAssert.IsProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        var unknown = await ProblemAssert.IsProblemAsync(unknownUser, HttpStatusCode.Unauthorized);
        Assert.Equal(wrong.GetProperty("detail").GetString(), unknown.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_login_or_device_name_with_control_characters_is_a_400_and_starts_no_session()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var badLogin = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = $"{user.User.Username}\u0000", password = user.Password });
        var badDevice = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password, deviceName = "phone\u001b" });

        await ProblemAssert.IsValidationProblemAsync(badLogin, "login");
        await ProblemAssert.IsValidationProblemAsync(badDevice, "deviceName");
        Assert.Single((await (await user.Client.GetAsync("/api/v1/auth/sessions")).ReadAsync<List<SessionResponse>>()));
    }

    [Fact]
    public async Task Five_failed_logins_lock_the_account_for_that_address_with_retry_after()
    {
        var user = await TestUser.RegisterAsync(fixture);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var failed = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = "wrong password guess" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var locked = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password });

        var problem = await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests);
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        var retryAfter = int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 15 * 60);
    }

    [Fact]
    public async Task Failed_logins_made_side_by_side_are_locked_out_after_five_and_successes_never_count()
    {
        var user = await TestUser.RegisterAsync(fixture);
        for (var login = 0; login < LoginThrottle.MaxFailures + 1; login++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password })).StatusCode);
        }

        var guesses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = "wrong password guess" })));

        Assert.Equal(LoginThrottle.MaxFailures, guesses.Count(g => g.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(20 - LoginThrottle.MaxFailures, guesses.Count(g => g.StatusCode == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Failed_logins_count_against_the_account_whichever_spelling_of_it_was_typed()
    {
        // An "s" in the username, so the email can also be spelt with the long s (U+017F), which upper-cases to "S".
        var user = await TestUser.RegisterAsync(fixture, TestUser.UniqueName("s"));
        var username = user.User.Username;
        string[] spellings = [username, username.ToUpperInvariant(), $"{username}@example.com", $"{username}@EXAMPLE.COM", $"\u017F{username[1..]}@example.com"];
        foreach (var login in spellings)
        {
            var failed = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login, password = "wrong password guess" });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        foreach (var login in spellings)
        {
            var locked = await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login, password = user.Password });

            await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests);
            Assert.InRange(int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 15 * 60);
        }
    }

    [Fact]
    public async Task Failed_logins_for_a_name_nobody_has_are_locked_out_alike_so_the_429_reveals_nothing()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var nobody = TestUser.UniqueName();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // Alternating case: an unknown name is counted by the spelling the lookup compares, as an account is.
            await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = attempt % 2 == 0 ? user.User.Username : user.User.Username.ToUpperInvariant(), password = "wrong password guess" });
            await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = attempt % 2 == 0 ? nobody : nobody.ToUpperInvariant(), password = "wrong password guess" });
        }

        var accountLocked = await ProblemAssert.IsProblemAsync(await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password }), HttpStatusCode.TooManyRequests);
        var nobodyLocked = await ProblemAssert.IsProblemAsync(await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = nobody, password = user.Password }), HttpStatusCode.TooManyRequests);

        Assert.Equal(accountLocked.GetProperty("title").GetString(), nobodyLocked.GetProperty("title").GetString());
        Assert.Equal(accountLocked.GetProperty("detail").GetString(), nobodyLocked.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_session()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var rotated = await (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken })).ReadAsync<AuthResult>();
        Assert.NotEqual(user.Auth.RefreshToken, rotated.RefreshToken);
        using var rotatedClient = TestUser.Authorized(fixture, rotated.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await rotatedClient.GetAsync("/api/v1/users/me")).StatusCode);

        var replay = await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken });

        await ProblemAssert.IsProblemAsync(replay, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rotatedClient.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task Two_parallel_refreshes_with_one_token_succeed_exactly_once()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_takes_effect_on_the_next_request()
    {
        var user = await TestUser.RegisterAsync(fixture);

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/api/v1/auth/logout", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task Signing_out_another_device_bites_at_once_and_other_users_sessions_are_not_found()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var laptop = await (await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password, deviceName = "laptop" })).ReadAsync<AuthResult>();
        using var laptopClient = TestUser.Authorized(fixture, laptop.AccessToken);
        var stranger = await TestUser.RegisterAsync(fixture);

        var sessions = await (await user.Client.GetAsync("/api/v1/auth/sessions")).ReadAsync<List<SessionResponse>>();
        Assert.Equal(2, sessions.Count);
        Assert.Single(sessions, s => s.Current);
        var laptopSession = Assert.Single(sessions, s => s.DeviceName == "laptop");
        Assert.False(laptopSession.Current);

        await ProblemAssert.IsProblemAsync(await stranger.Client.DeleteAsync($"/api/v1/auth/sessions/{laptopSession.Id}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await laptopClient.GetAsync("/api/v1/users/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/v1/auth/sessions/{laptopSession.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptopClient.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task Sessions_survive_redis_losing_everything_and_a_revoked_one_stays_revoked()
    {
        var kept = await TestUser.RegisterAsync(fixture);
        var revoked = await TestUser.RegisterAsync(fixture);
        await revoked.Client.PostAsync("/api/v1/auth/logout", null);

        var connection = await ConnectionMultiplexer.ConnectAsync(await fixture.GetConnectionStringAsync("cache") + ",allowAdmin=true");
        await using (connection)
        {
            // FLUSHALL would also wipe other tests' state; dropping the session keys is the same loss for these two.
            var database = connection.GetDatabase();
            await database.KeyDeleteAsync([$"session:{SessionIdOf(kept.AccessToken):N}", $"session:{SessionIdOf(revoked.AccessToken):N}"]);
        }

        Assert.Equal(HttpStatusCode.OK, (await kept.Client.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.Client.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task A_session_cached_as_live_just_after_its_revoke_stays_revoked()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var sessionId = SessionIdOf(user.AccessToken);
        await using var services = await ServicesAsync();
        await user.Client.PostAsync("/api/v1/auth/logout", null);

        // What a refresh, or a session check that loaded the session from PostgreSQL just before the revoke, writes just after it.
        await services.Services.GetRequiredService<SessionStore>()
            .RememberAsync(sessionId, user.Id, DateTime.UtcNow.AddDays(30));

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/v1/users/me")).StatusCode);
    }

    [Fact]
    public async Task The_session_purge_removes_ended_sessions_and_live_sessions_keep_working()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var laptop = await (await _anonymous.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password, deviceName = "laptop" })).ReadAsync<AuthResult>();
        using (var laptopClient = TestUser.Authorized(fixture, laptop.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await laptopClient.PostAsync("/api/v1/auth/logout", null)).StatusCode);
        }

        var rotated = await (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken })).ReadAsync<AuthResult>();
        var sessionId = SessionIdOf(user.AccessToken);
        var laptopSessionId = SessionIdOf(laptop.AccessToken);
        await using var services = await ServicesAsync();
        await using var scope = services.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();

        await new SessionRetention(db, TimeProvider.System, Options.Create(new SessionRetentionOptions { BatchSize = 100 }))
            .PurgeAsync(TestContext.Current.CancellationToken);

        Assert.False(await db.Sessions.AnyAsync(s => s.Id == laptopSessionId, TestContext.Current.CancellationToken));
        Assert.True(await db.Sessions.AnyAsync(s => s.Id == sessionId, TestContext.Current.CancellationToken));
        using var rotatedClient = TestUser.Authorized(fixture, rotated.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await rotatedClient.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = laptop.RefreshToken })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task A_session_stores_only_its_current_refresh_token_and_still_knows_its_first_one_as_reuse()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var tokens = new List<AuthResult> { user.Auth };
        for (var refresh = 0; refresh < 5; refresh++)
        {
            tokens.Add(await (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = tokens[^1].RefreshToken })).ReadAsync<AuthResult>());
        }

        await using var services = await ServicesAsync();
        await using var scope = services.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();
        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == SessionIdOf(user.AccessToken), TestContext.Current.CancellationToken);
        Assert.Equal(RefreshTokens.Hash(tokens[^1].RefreshToken), session.RefreshTokenHash);
        Assert.Equal(5, session.Refreshes);

        var replay = await ProblemAssert.IsProblemAsync(
            await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = tokens[0].RefreshToken }), HttpStatusCode.Unauthorized);

        Assert.Contains("already used", replay.GetProperty("detail").GetString());
        using var latestClient = TestUser.Authorized(fixture, tokens[^1].AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await latestClient.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = tokens[^1].RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task An_earlier_refresh_token_made_up_for_a_session_signs_no_one_out()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var rotated = await (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = user.Auth.RefreshToken })).ReadAsync<AuthResult>();
        // The session's first token as someone who knows the format but not the key would make it up.
        var madeUp = new RefreshTokens(Options.Create(new JwtOptions { SigningKey = "not the key the api signs with, 256 bits at least" }))
            .Issue(SessionIdOf(user.AccessToken), refreshes: 0);

        var refused = await ProblemAssert.IsProblemAsync(await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = madeUp }), HttpStatusCode.Unauthorized);

        Assert.DoesNotContain("already used", refused.GetProperty("detail").GetString());
        using var rotatedClient = TestUser.Authorized(fixture, rotated.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await rotatedClient.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.PostJsonAsync("/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken })).StatusCode);
    }

    [Fact]
    public async Task Tampered_expired_wrong_audience_and_unsigned_tokens_are_refused()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var sessionId = SessionIdOf(user.AccessToken);
        var key = fixture.App.EnvironmentOf("api", "Jwt__SigningKey");
        var parts = user.AccessToken.Split('.');
        var tamperedPayload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace(user.Id.ToString(), Guid.NewGuid().ToString())));

        string[] refused =
        [
            $"{parts[0]}.{tamperedPayload}.{parts[2]}",
            Sign(key, user.Id, sessionId, audience: "socialchat-clients", expires: DateTime.UtcNow.AddMinutes(-5)),
            Sign(key, user.Id, sessionId, audience: "someone-else", expires: DateTime.UtcNow.AddMinutes(5)),
            Sign("a-different-key-that-is-long-enough-for-hs256!!", user.Id, sessionId, audience: "socialchat-clients", expires: DateTime.UtcNow.AddMinutes(5)),
            $"{Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8)}.{parts[1]}.",
        ];

        Assert.Equal(HttpStatusCode.OK, (await TestUser.Authorized(fixture, Sign(key, user.Id, sessionId, "socialchat-clients", DateTime.UtcNow.AddMinutes(5))).GetAsync("/api/v1/users/me")).StatusCode);
        foreach (var token in refused)
        {
            using var client = TestUser.Authorized(fixture, token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/users/me")).StatusCode);
        }
    }

    /// <summary>The services' own data and session classes, as the load tool's seeder builds them, on the test system's database and Redis.</summary>
    private async Task<Seeder> ServicesAsync() => new(new LoadTestOptions
    {
        Postgres = (await fixture.GetConnectionStringAsync("socialdb"))!,
        Redis = (await fixture.GetConnectionStringAsync("cache"))!,
        JwtSigningKey = fixture.App.EnvironmentOf("api", "Jwt__SigningKey"),
    });

    private static Guid SessionIdOf(string accessToken) => Guid.Parse(new JsonWebToken(accessToken).GetClaim("sid").Value);

    private static string Sign(string key, Guid userId, Guid sessionId, string audience, DateTime expires) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "socialchat",
            Audience = audience,
            IssuedAt = expires.AddMinutes(-10),
            NotBefore = expires.AddMinutes(-10),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = userId.ToString(), ["sid"] = sessionId.ToString(), ["jti"] = Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
}
