using System.Net.WebSockets;
using System.Text;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

public sealed class SecretRedactionTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task The_access_token_a_browser_sends_in_the_hub_query_string_never_reaches_the_console_log()
    {
        var user = await TestUser.RegisterAsync(fixture);

        // What a browser's SignalR client does: it cannot set headers on a WebSocket, so the token rides in the URL.
        var hub = new UriBuilder(fixture.GetEndpoint("realtime")) { Scheme = "ws", Path = "/hubs/chat", Query = $"access_token={user.AccessToken}" }.Uri;
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(hub, CancellationToken.None);
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[256];
            var handshake = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal("{}\u001e", Encoding.UTF8.GetString(buffer, 0, handshake.Count));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        // The hosting request log (on in the test system) printed this connect's query string: redacted.
        var logs = await Eventually.HoldsAsync(
            () => Task.FromResult(fixture.App.GetLogs("realtime-0")),
            lines => lines.Any(l => l.Contains("/hubs/chat?access_token=[redacted]", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30));
        Assert.Contains(logs, l => l.Contains("/hubs/chat?access_token=[redacted]", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains(user.AccessToken.Split('.')[2], StringComparison.Ordinal));
    }
}
