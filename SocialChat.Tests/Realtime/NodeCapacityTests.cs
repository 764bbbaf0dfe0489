using SocialChat.Tests.Hosting;
using SocialChat.Tests.Reliability;

namespace SocialChat.Tests.Realtime;

/// <summary>On a system of its own, whose Realtime nodes hold three hub connections each (LoadToolFailoverTests checks the default).</summary>
[Collection(FaultTests.Collection)]
public sealed class NodeCapacityTests
{
    private const int MaxConnections = 3;

    [Fact]
    public async Task A_full_node_refuses_a_new_connection_with_503_while_the_other_takes_it_and_takes_one_again_once_a_connection_closed()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync(new Dictionary<string, string> { ["HubCapacity__MaxConnections"] = $"{MaxConnections}" });
        var users = await Task.WhenAll(Enumerable.Range(0, MaxConnections + 1).Select(_ => TestUser.RegisterAsync(app)));
        var full = app.GetEndpoint("realtime", "http", 0);
        var open = new List<HubClient>();
        try
        {
            foreach (var user in users[..MaxConnections])
            {
                open.Add(await HubClient.ConnectAsync(full, user.AccessToken));
            }

            var refused = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => HubClient.ConnectAsync(full, users[^1].AccessToken));
            Assert.Contains("'503'", refused.Message);
            Assert.Contains("holds at most 3 hub connections", string.Join('\n', app.GetLogs("realtime-0")));

            // The cap is a node's own: the other node takes the refused client.
            open.Add(await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 1), users[^1].AccessToken));

            // Closing one frees a place once the node has let go of its request.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    open.Add(await HubClient.ConnectAsync(full, users[0].AccessToken));
                    break;
                }
                catch (System.Net.WebSockets.WebSocketException) when (attempt < 20)
                {
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            foreach (var client in open)
            {
                await client.DisposeAsync();
            }
        }
    }
}
