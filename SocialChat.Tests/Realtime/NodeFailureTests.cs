using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Realtime;

/// <summary>On a system of its own, since it kills a Realtime node.</summary>
public sealed class NodeFailureTests
{
    [Fact]
    public async Task Users_of_a_killed_node_go_offline_within_the_sweep_interval()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var alice = await TestUser.RegisterAsync(app);
        var bob = await TestUser.RegisterAsync(app);
        await bob.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = alice.Id });

        await using var watcher = await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 0), bob.AccessToken);
        var doomed = await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 1), alice.AccessToken);
        var before = await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { alice.Id });
        Assert.True(Assert.Single(before).Online);

        app.KillInstance("realtime-1");

        // NodeTimeout 4 s + SweepInterval 1 s in the test settings; the contract's bound is 60 s.
        var offline = await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == alice.Id && !p.Online, TimeSpan.FromSeconds(20));
        Assert.NotNull(offline.LastSeenAt);
        var presence = await (await bob.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { alice.Id } })).ReadAsync<List<PresenceResponse>>();
        Assert.False(Assert.Single(presence).Online);
        await doomed.DisposeAsync();
    }
}
