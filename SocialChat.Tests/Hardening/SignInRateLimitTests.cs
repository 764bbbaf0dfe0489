using SocialChat.Tests.Hosting;
using SocialChat.Tests.Reliability;

namespace SocialChat.Tests.Hardening;

/// <summary>
/// Registering, signing in and refreshing are counted per client address (<c>RateLimits:AuthPermits</c>). The shared
/// system lifts that budget (every test comes from one address), so this test starts a system of its own with 3.
/// </summary>
[Collection(FaultTests.Collection)]
public sealed class SignInRateLimitTests
{
    private const int AuthPermits = 3;

    [Fact]
    public async Task An_access_token_sent_along_does_not_lift_the_sign_in_routes_out_of_the_addresses_budget()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync(new Dictionary<string, string> { ["RateLimits__AuthPermits"] = $"{AuthPermits}" });
        var user = await TestUser.RegisterAsync(app);

        var registrations = new List<HttpResponseMessage>();
        for (var attempt = 0; attempt < AuthPermits; attempt++)
        {
            var username = TestUser.UniqueName();
            registrations.Add(await user.Client.PostJsonAsync("/api/v1/auth/register", new { username, email = $"{username}@example.com", password = TestUser.DefaultPassword }));
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created], registrations.Take(AuthPermits - 1).Select(r => r.StatusCode));
        await ProblemAssert.IsProblemAsync(registrations[^1], HttpStatusCode.TooManyRequests);
        await ProblemAssert.IsProblemAsync(
            await user.Client.PostJsonAsync("/api/v1/auth/login", new { login = user.User.Username, password = user.Password }), HttpStatusCode.TooManyRequests);
        // The user's own budget is another: their token still serves everything else.
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/users/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/v1/auth/sessions")).StatusCode);
    }
}
