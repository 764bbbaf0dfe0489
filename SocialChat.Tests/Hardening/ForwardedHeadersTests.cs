using System.Net.Sockets;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

/// <summary>
/// The test system trusts one proxy, 127.0.0.2 (ForwardedHeaders:KnownProxies); these clients connect from
/// 127.0.0.1 (a client) or 127.0.0.2 (the proxy). The login throttle counts failures per account and client
/// address, so it shows which address the Api believed.
/// </summary>
public sealed class ForwardedHeadersTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_spoofed_forwarded_for_from_an_untrusted_address_does_not_escape_the_login_throttle()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var client = ClientFrom(IPAddress.Loopback);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await FailedLoginAsync(client, user, $"203.0.113.{attempt + 1}")).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await FailedLoginAsync(client, user, "203.0.113.99"), HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task The_trusted_proxy_names_the_client_address()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var proxy = ClientFrom(IPAddress.Parse("127.0.0.2"));

        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await FailedLoginAsync(proxy, user, "198.51.100.7")).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await FailedLoginAsync(proxy, user, "198.51.100.7"), HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.Unauthorized, (await FailedLoginAsync(proxy, user, "198.51.100.8")).StatusCode);
    }

    private static Task<HttpResponseMessage> FailedLoginAsync(HttpClient client, TestUser user, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = JsonContent.Create(new { login = user.User.Username, password = "wrong password guess" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }

    /// <summary>An Api client whose connections leave from this loopback address.</summary>
    private HttpClient ClientFrom(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = fixture.GetEndpoint("api") };
    }
}
