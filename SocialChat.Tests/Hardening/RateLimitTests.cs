using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

public sealed class RateLimitTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_user_past_the_window_budget_gets_429_with_retry_after_while_others_are_served()
    {
        var greedy = await TestUser.RegisterAsync(fixture);
        var other = await TestUser.RegisterAsync(fixture);
        const int Budget = 600;

        var responses = new List<HttpResponseMessage>();
        for (var batch = 0; batch < 13; batch++)
        {
            responses.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => greedy.Client.GetAsync("/api/v1/users/me"))));
        }

        Assert.Equal(Budget, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(650 - Budget, refused.Count);
        var problem = await ProblemAssert.IsProblemAsync(refused[0], HttpStatusCode.TooManyRequests);
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        Assert.InRange(int.Parse(refused[0].Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, (await other.Client.GetAsync("/api/v1/users/me")).StatusCode);
    }
}
