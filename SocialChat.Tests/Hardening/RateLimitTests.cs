extern alias Api;

using System.Diagnostics;
using Api::SocialChat.Api.RateLimiting;
using SocialChat.Tests.Hosting;
using StackExchange.Redis;

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

    [Fact]
    public async Task A_callers_window_says_how_long_it_has_been_idle_and_its_fallback_refills_without_a_timer()
    {
        // A Redis that never answers, as while it is down: every count falls back to the window in process.
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { "127.0.0.1:1" },
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
        });
        var window = TimeSpan.FromSeconds(1);
        using var limiter = new RedisWindowRateLimiter(unreachable, $"rate:test:{Guid.NewGuid():N}", 2, window, TimeSpan.FromSeconds(1));

        var firstWindow = new List<bool>();
        for (var request = 0; request < 3; request++)
        {
            using var lease = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
            firstWindow.Add(lease.IsAcquired);
        }

        var sinceLastRequest = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromMilliseconds(1_200), TestContext.Current.CancellationToken);

        // The partitioned limiter forgets a partition idle for 10 s; one that never said so was kept for good.
        var quiet = sinceLastRequest.Elapsed;
        Assert.True(limiter.IdleDuration >= quiet, $"idle for {limiter.IdleDuration}, quiet for {quiet}");
        Assert.Equal([true, true, false], firstWindow);
        using var nextWindow = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
        Assert.True(nextWindow.IsAcquired);
    }
}
