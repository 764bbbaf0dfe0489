using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

public sealed class BrowserSecurityTests(SocialChatAppFixture fixture)
{
    [Theory]
    [InlineData("api", "/api/v1/auth/login")]
    [InlineData("realtime", "/hubs/chat/negotiate")]
    public async Task Only_allow_listed_origins_get_cross_origin_access(string resource, string path)
    {
        using var client = fixture.CreateHttpClient(resource);

        var allowed = await client.SendAsync(Preflight(path, "https://app.example.test"));
        var other = await client.SendAsync(Preflight(path, "https://evil.example.test"));

        Assert.Equal("https://app.example.test", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Api_responses_carry_security_headers_even_on_errors()
    {
        using var client = fixture.CreateHttpClient();

        var response = await client.GetAsync("/api/v1/users/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return request;
    }
}
