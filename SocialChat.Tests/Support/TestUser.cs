using System.Net.Http.Headers;
using Aspire.Hosting;
using SocialChat.Data.Auth;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Support;

/// <summary>A freshly registered user with their tokens and an HttpClient that sends their access token.</summary>
public sealed record TestUser(UserResponse User, AuthResult Auth, HttpClient Client, string Password)
{
    public const string DefaultPassword = "a long and uncommon passphrase";

    public Guid Id => User.Id;

    public string AccessToken => Auth.AccessToken;

    public static string UniqueName(string prefix = "u") => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(32, prefix.Length + 21)];

    public static Task<TestUser> RegisterAsync(SocialChatAppFixture fixture, string? username = null, string? displayName = null) =>
        RegisterAsync(fixture.App, username, displayName);

    public static Task<TestUser> RegisterAsync(DistributedApplication app, string? username = null, string? displayName = null) =>
        RegisterAsync(() => app.CreateHttpClient("api"), username, displayName);

    /// <summary>Registers through whatever <paramref name="createApiClient"/> reaches (an Api instance, or nginx in front of them).</summary>
    public static async Task<TestUser> RegisterAsync(Func<HttpClient> createApiClient, string? username = null, string? displayName = null)
    {
        username ??= UniqueName();
        using var anonymous = createApiClient();
        var response = await anonymous.PostJsonAsync("/api/v1/auth/register", new
        {
            username,
            email = $"{username}@example.com",
            password = DefaultPassword,
            displayName,
        });
        var auth = await response.ReadAsync<AuthResult>();
        return new TestUser(auth.User, auth, Authorized(createApiClient, auth.AccessToken), DefaultPassword);
    }

    public static HttpClient Authorized(SocialChatAppFixture fixture, string accessToken) => Authorized(fixture.App, accessToken);

    public static HttpClient Authorized(DistributedApplication app, string accessToken) => Authorized(() => app.CreateHttpClient("api"), accessToken);

    public static HttpClient Authorized(Func<HttpClient> createApiClient, string accessToken)
    {
        var client = createApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }
}
