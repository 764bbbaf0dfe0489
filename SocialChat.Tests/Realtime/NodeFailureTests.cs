using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;
using SocialChat.Tests.Reliability;

namespace SocialChat.Tests.Realtime;

/// <summary>On a system of its own, since it kills a Realtime node (RELIABILITY.md, "A Realtime node killed").</summary>
[Collection(FaultTests.Collection)]
public sealed class NodeFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Clients_of_a_killed_node_reconnect_to_the_other_and_catch_up_and_its_users_go_offline_within_the_sweep_interval()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var senders = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(app)));
        var movers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => TestUser.RegisterAsync(app)));
        var stayer = await TestUser.RegisterAsync(app);
        var gone = await TestUser.RegisterAsync(app);
        var group = await Chat.CreateGroupAsync(senders[0], [.. senders[1..], .. movers, stayer, gone]);
        var survivor = app.GetEndpoint("realtime", "http", 0);
        var doomedNode = app.GetEndpoint("realtime", "http", 1);

        var ledger = new DeliveryLedger();
        await using var watcher = await HubClient.ConnectAsync(survivor, stayer.AccessToken);
        var stayerReceiver = ledger.AddReceiver("stayer (survivor node)");
        stayerReceiver.Listen(watcher);
        Assert.False(Assert.Single(await watcher.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { gone.Id })).Online);
        var goneClient = await HubClient.ConnectAsync(doomedNode, gone.AccessToken);
        await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == gone.Id && p.Online);

        // Each mover is a client that, when its node drops it, connects to the other one (as the load balancer
        // would send it there) and then catches up after the last seq it saw.
        var connections = new List<HubClient> { goneClient };
        var moved = movers.Select(async (mover, index) =>
        {
            var receiver = ledger.AddReceiver($"mover {index} (killed node)");
            var first = await HubClient.ConnectAsync(doomedNode, mover.AccessToken);
            receiver.Listen(first);
            lock (connections)
            {
                connections.Add(first);
            }

            await first.Closed.Task;
            // Away until a message is sent that it did not see live, as a client whose reconnect takes a moment:
            // on an idle machine a reconnect can otherwise fall between two sends and leave the catch-up untested.
            var lastSeenLive = receiver.Live.Select(m => m.Seq).DefaultIfEmpty(0).Max();
            await Eventually.HoldsAsync(() => Task.FromResult(ledger.Acknowledged), sent => sent.Any(m => m.Seq > lastSeenLive));
            var second = await HubClient.ConnectAsync(survivor, mover.AccessToken);
            lock (connections)
            {
                connections.Add(second);
            }

            receiver.Listen(second);
            await receiver.CatchUpAsync(mover, group.Id);
            return (Receiver: receiver, Mover: mover);
        }).ToList();

        using var stop = new CancellationTokenSource();
        var traffic = new SteadySenders(ledger, group.Id, TimeSpan.FromMilliseconds(100));
        var sending = traffic.RunAsync(senders, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(3));
        app.KillInstance("realtime-1");
        var receivers = await Task.WhenAll(moved).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await sending;

        // Live delivery settles a moment after the last acknowledgement.
        var all = receivers.Select(r => r.Receiver).Append(stayerReceiver).ToList();
        await Eventually.HoldsAsync(() => Task.FromResult(all.Select(r => r.Report()).ToList()), reports => reports.All(r => r.Lost == 0));
        foreach (var report in all.Select(r => r.Report()))
        {
            output.WriteLine(report.ToString());
            report.AssertNothingLostOrDuplicated();
        }

        Assert.All(receivers, r => Assert.True(r.Receiver.Report().CaughtUp > 0, "the kill fell between messages; the catch-up had nothing to do"));
        await ledger.AssertStoredExactlyOnceAsync(stayer, group.Id);
        output.WriteLine($"sends: {traffic.Summary}");

        // The user whose only connection was on the killed node goes offline: NodeTimeout 4 s + SweepInterval 1 s
        // in the test settings (the contract's bound is 60 s); the movers are online again on the other node.
        var offline = await watcher.WaitForAsync<PresenceResponse>("PresenceChanged", p => p.UserId == gone.Id && !p.Online, TimeSpan.FromSeconds(20));
        Assert.NotNull(offline.LastSeenAt);
        var presence = await (await stayer.Client.PostJsonAsync("/api/v1/users/presence", new { userIds = new[] { gone.Id, movers[0].Id, movers[1].Id } }))
            .ReadAsync<List<PresenceResponse>>();
        Assert.Equal([false, true, true], presence.Select(p => p.Online));
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }
}
