using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

public sealed class InputLimitTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Headers_past_the_size_limit_are_refused_with_431()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        request.Headers.Add("X-Padding", new string('a', 20 * 1024));

        var response = await user.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Errors_the_framework_answers_by_itself_carry_a_type_and_a_detail()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var anonymous = fixture.CreateHttpClient();
        (HttpStatusCode Status, HttpResponseMessage Response)[] answers =
        [
            (HttpStatusCode.Unauthorized, await anonymous.GetAsync("/api/v1/users/me")),
            (HttpStatusCode.NotFound, await user.Client.GetAsync("/api/v1/nothing-here")),
            (HttpStatusCode.MethodNotAllowed, await user.Client.DeleteAsync("/api/v1/users/me")),
            (HttpStatusCode.RequestEntityTooLarge, await anonymous.PostAsync("/api/v1/auth/login", new StringContent(new string(' ', 100_000), Encoding.UTF8, "application/json"))),
            (HttpStatusCode.UnsupportedMediaType, await anonymous.PostAsync("/api/v1/auth/login", new StringContent("login=a&password=b", Encoding.UTF8, "text/plain"))),
        ];

        foreach (var (status, response) in answers)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, status);
            Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("type", out var type) ? type.GetString() : null), problem.ToString());
            Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null), problem.ToString());
        }
    }

    [Fact]
    public async Task A_client_sending_its_body_slower_than_the_minimum_rate_is_disconnected()
    {
        var endpoint = fixture.GetEndpoint("api");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/v1/auth/login HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{{"));

        // One byte a second, far below 240 B/s: Kestrel gives up after its 5 s grace period.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answer = new MemoryStream();
        var reading = stream.CopyToAsync(answer, deadline.Token);
        while (!reading.IsCompleted && !deadline.IsCancellationRequested)
        {
            try
            {
                await stream.WriteAsync(" "u8.ToArray(), deadline.Token);
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(reading, Task.Delay(1000, deadline.Token));
        }

        await Task.WhenAny(reading, Task.Delay(Timeout.Infinite, deadline.Token).ContinueWith(_ => { }));
        Assert.False(deadline.IsCancellationRequested, "the slow client was still connected after 60 s");
        var text = Encoding.ASCII.GetString(answer.ToArray());
        Assert.True(text.Length == 0 || text.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task A_hub_connection_watches_a_bounded_number_of_users_presence()
    {
        var user = await TestUser.RegisterAsync(fixture);
        await using var hub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime"), user.AccessToken);
        Guid[] Batch(int size) => [.. Enumerable.Range(0, size).Select(_ => Guid.CreateVersion7())];

        var tooMany = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Batch(501)));
        for (var batch = 0; batch < 4; batch++)
        {
            Assert.Equal(500, (await hub.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Batch(500))).Count);
        }

        var pastTotal = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Batch(1)));
        Assert.Contains("500", tooMany.Message, StringComparison.Ordinal);
        Assert.Contains("at most 2000 users", pastTotal.Message, StringComparison.Ordinal);
    }
}
