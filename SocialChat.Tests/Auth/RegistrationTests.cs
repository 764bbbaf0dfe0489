using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SocialChat.Data.Auth;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Auth;

public sealed class RegistrationTests(SocialChatAppFixture fixture)
{
    private readonly HttpClient _anonymous = fixture.CreateHttpClient();

    [Fact]
    public async Task Registering_returns_the_user_and_working_tokens()
    {
        var name = TestUser.UniqueName("Reg");

        var response = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}@Example.com", password = TestUser.DefaultPassword, displayName = "Régine" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var auth = await response.ReadAsync<AuthResult>();
        Assert.Equal(name.ToLowerInvariant(), auth.User.Username);
        Assert.Equal("Régine", auth.User.DisplayName);
        Assert.True(auth.AccessTokenExpiresAt <= DateTime.UtcNow.AddMinutes(15.1));
        Assert.True(auth.RefreshTokenExpiresAt > DateTime.UtcNow.AddDays(29));
        Assert.True(auth.RefreshToken.Length >= 43, "a refresh token carries at least 256 bits");
        using var client = TestUser.Authorized(fixture, auth.AccessToken);
        var me = await (await client.GetAsync("/api/v1/users/me")).ReadAsync<SocialChat.Data.Users.UserResponse>();
        Assert.Equal(auth.User.Id, me.Id);
    }

    [Fact]
    public async Task A_username_taken_in_another_case_or_an_email_taken_is_a_conflict()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var sameName = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = user.User.Username.ToUpperInvariant(), email = $"other{Guid.NewGuid():N}@example.com", password = TestUser.DefaultPassword });
        var sameEmail = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = TestUser.UniqueName(), email = $"{user.User.Username}@EXAMPLE.com".ToUpperInvariant(), password = TestUser.DefaultPassword });

        await ProblemAssert.IsProblemAsync(sameName, HttpStatusCode.Conflict);
        await ProblemAssert.IsProblemAsync(sameEmail, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Twenty_concurrent_registrations_of_one_username_create_exactly_one_account()
    {
        var name = TestUser.UniqueName("race");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}{i}@example.com", password = TestUser.DefaultPassword })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_email_or_username_in_different_cases_create_one_account_each()
    {
        var name = TestUser.UniqueName("race");
        var email = $"{TestUser.UniqueName("mail")}@example.com";
        static string CasedBy(int i, string text) => i % 2 == 0 ? text.ToUpperInvariant() : text;

        var sameName = Enumerable.Range(0, 10).Select(i =>
            _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = CasedBy(i, name), email = $"{name}{i}@example.com", password = TestUser.DefaultPassword })).ToList();
        var sameEmail = Enumerable.Range(0, 10).Select(i =>
            _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = TestUser.UniqueName(), email = CasedBy(i, email), password = TestUser.DefaultPassword })).ToList();
        var byName = await Task.WhenAll(sameName);
        var byEmail = await Task.WhenAll(sameEmail);

        foreach (var responses in new[] { byName, byEmail })
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            await ProblemAssert.AnsweredAsync(responses.Where(r => r.StatusCode != HttpStatusCode.Created), HttpStatusCode.Conflict);
        }
    }

    [Fact]
    public async Task Invalid_fields_are_each_named_in_a_400()
    {
        var response = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = "ab", email = "not-an-email", password = "short", displayName = new string('x', 65) });

        await ProblemAssert.IsValidationProblemAsync(response, "username", "email", "password", "displayName");
    }

    [Fact]
    public async Task A_password_counts_characters_as_NIST_does_not_UTF16_units()
    {
        var name = TestUser.UniqueName();
        // Four emoji are eight UTF-16 units but four characters: too short.
        var response = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}@example.com", password = "\U0001F511\U0001F512\U0001F513\U0001F510" });

        await ProblemAssert.IsValidationProblemAsync(response, "password");
    }

    [Fact]
    public async Task A_password_is_one_whether_its_accents_are_typed_composed_or_decomposed()
    {
        var secret = Guid.NewGuid().ToString("N")[..8];
        var (composed, decomposed) = ($"caf\u00E9 {secret}", $"cafe\u0301 {secret}");
        var name = TestUser.UniqueName();
        Assert.Equal(HttpStatusCode.Created, (await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}@example.com", password = decomposed })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(name, composed)).StatusCode);

        // An account hashed from the password as typed, before passwords were normalised, signs in as typed, and then either way.
        var older = TestUser.UniqueName();
        var account = await (await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = older, email = $"{older}@example.com", password = TestUser.DefaultPassword })).ReadAsync<AuthResult>();
        await using (var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb")))
        {
            await database.OpenAsync();
            await using var hashedAsTyped = new NpgsqlCommand("UPDATE users SET password_hash = $1 WHERE id = $2", database)
            {
                Parameters = { new() { Value = new PasswordHasher<User>().HashPassword(null!, decomposed) }, new() { Value = account.User.Id } },
            };
            Assert.Equal(1, await hashedAsTyped.ExecuteNonQueryAsync());
        }

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(older, decomposed)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(older, composed)).StatusCode);
    }

    [Theory]
    [InlineData("password123")]
    [InlineData("iloveyou")]
    [InlineData("QWERTY123")]
    public async Task A_common_password_is_refused(string password)
    {
        var name = TestUser.UniqueName();
        var response = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username = name, email = $"{name}@example.com", password });

        await ProblemAssert.IsValidationProblemAsync(response, "password");
    }

    [Fact]
    public async Task Bad_usernames_are_refused_and_nothing_is_stored()
    {
        foreach (var username in new[] { "with space", "dash-name", "ünïcode", new string('a', 33), "\u212Aelvin_" + Guid.NewGuid().ToString("N")[..8] })
        {
            var response = await _anonymous.PostJsonAsync("/api/v1/auth/register", new { username, email = $"{Guid.NewGuid():N}@example.com", password = TestUser.DefaultPassword });
            await ProblemAssert.IsValidationProblemAsync(response, "username");
        }
    }

    [Fact]
    public async Task Malformed_json_is_a_400_and_an_oversized_body_a_413()
    {
        using var malformed = new StringContent("{\"username\": ", System.Text.Encoding.UTF8, "application/json");
        using var oversized = new StringContent($"{{\"username\":\"{new string('a', 100_000)}\"}}", System.Text.Encoding.UTF8, "application/json");

        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsync("/api/v1/auth/register", malformed), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsync("/api/v1/auth/register", oversized), HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>
    /// The errors each operation's own rules answer, by operation id; every other error status follows from the
    /// operation's shape (API.md, "Conventions"): 400 with a body or a query, 401 unless anonymous, 413 with a body, and
    /// 429, 503 and 504 for all.
    /// </summary>
    private static readonly Dictionary<string, int[]> DomainErrors = new()
    {
        ["Register"] = [409], ["Login"] = [401], ["Refresh"] = [401], ["RevokeSession"] = [404],
        ["GetUser"] = [404], ["BlockUser"] = [400, 404], ["UnblockUser"] = [404],
        ["OpenDirectConversation"] = [403, 404], ["GetConversation"] = [404], ["RenameGroup"] = [403, 404], ["AddMembers"] = [403, 404],
        ["RemoveMember"] = [400, 403, 404], ["ChangeMemberRole"] = [403, 404], ["ListMembers"] = [404],
        ["GetMessages"] = [404], ["SendMessage"] = [403, 404], ["EditMessage"] = [403, 404, 409], ["DeleteMessage"] = [403, 404], ["MarkRead"] = [404],
        ["FollowUser"] = [400, 403, 404], ["UnfollowUser"] = [404], ["ListFollowers"] = [404], ["ListFollowing"] = [404],
        ["GetPost"] = [404], ["DeletePost"] = [403, 404], ["ListUserPosts"] = [404], ["LikePost"] = [403, 404], ["UnlikePost"] = [404],
        ["CommentOnPost"] = [403, 404], ["ListComments"] = [404], ["MarkNotificationsRead"] = [404],
    };

    private static readonly string[] AnonymousOperations = ["Register", "Login", "Refresh"];

    [Fact]
    public async Task The_openapi_document_lists_each_operations_errors_as_problem_json()
    {
        using var document = JsonDocument.Parse(await _anonymous.GetStringAsync("/openapi/v1.json"));
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var described = new List<string>();

        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var id = operation.Value.GetProperty("operationId").GetString()!;
                described.Add(id);
                var takesBody = operation.Value.TryGetProperty("requestBody", out _);
                var takesQuery = operation.Value.TryGetProperty("parameters", out var parameters) && parameters.EnumerateArray().Any(p => p.GetProperty("in").GetString() == "query");
                var expected = DomainErrors.GetValueOrDefault(id, []).ToHashSet();
                expected.UnionWith([429, 503, 504]);
                if (takesBody || takesQuery)
                {
                    expected.Add(400);
                }

                if (!AnonymousOperations.Contains(id))
                {
                    expected.Add(401);
                }

                if (takesBody)
                {
                    expected.Add(413);
                }

                var responses = operation.Value.GetProperty("responses");
                var errors = responses.EnumerateObject().Where(r => r.Name != "default" && int.Parse(r.Name, CultureInfo.InvariantCulture) >= 400).ToList();
                Assert.True(expected.Order().SequenceEqual(errors.Select(e => int.Parse(e.Name, CultureInfo.InvariantCulture)).Order()),
                    $"{id}: documents {string.Join(", ", errors.Select(e => e.Name))}, expected {string.Join(", ", expected.Order())}");
                foreach (var error in errors.Append(responses.EnumerateObject().Single(r => r.Name == "default")))
                {
                    var schema = error.Name == "400" ? "HttpValidationProblemDetails" : "ProblemDetails";
                    Assert.Equal($"#/components/schemas/{schema}", error.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
                    Assert.False(string.IsNullOrWhiteSpace(error.Value.GetProperty("description").GetString()));
                }

                Assert.True(responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{id}: its 429 does not name Retry-After");
                Assert.True(responses.GetProperty("503").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{id}: its 503 does not name Retry-After");
            }
        }

        Assert.Empty(DomainErrors.Keys.Except(described));
        Assert.True(schemas.GetProperty("ProblemDetails").GetProperty("properties").TryGetProperty("detail", out _));
        Assert.True(schemas.GetProperty("HttpValidationProblemDetails").GetProperty("properties").TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task The_openapi_document_describes_auth_and_users()
    {
        var document = await _anonymous.GetStringAsync("/openapi/v1.json");

        foreach (var path in new[] { "/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/sessions", "/api/v1/users/me", "/api/v1/users/{id}/block" })
        {
            Assert.Contains($"\"{path}\"", document);
        }
    }

    private Task<HttpResponseMessage> LoginAsync(string login, string password) =>
        _anonymous.PostJsonAsync("/api/v1/auth/login", new { login, password });
}
