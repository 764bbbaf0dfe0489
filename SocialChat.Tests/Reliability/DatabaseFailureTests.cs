using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Reliability;

/// <summary>RELIABILITY.md, "PostgreSQL shut down immediately".</summary>
[Collection(FaultTests.Collection)]
public sealed class DatabaseFailureTests(ITestOutputHelper output)
{
    private const int Crashes = 4;

    [Fact]
    public async Task PostgreSQL_shut_down_immediately_mid_send_answers_503_with_Retry_After_and_keeps_every_acknowledged_message_once()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var senders = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => TestUser.RegisterAsync(app)));
        var hubSender = await TestUser.RegisterAsync(app);
        var group = await Chat.CreateGroupAsync(senders[0], [.. senders[1..], hubSender]);
        await using var hub = await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 0), hubSender.AccessToken);

        var ledger = new DeliveryLedger();
        var traffic = new SteadySenders(ledger, group.Id, TimeSpan.FromMilliseconds(25));
        using var stop = new CancellationTokenSource();
        var sending = traffic.RunAsync(senders, stop.Token);
        var hubMessageId = Guid.NewGuid();
        // Several crashes, each at a different moment of the sends in flight: a connection can break at any step of a send.
        for (var crash = 0; crash < Crashes; crash++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            app.KillInstance("postgres");
            await app.ResourceNotifications.WaitForResourceAsync("postgres", s => KnownResourceStates.IsTerminal(s.State)).WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (crash == 0)
            {
                var refused = await Assert.ThrowsAsync<HubException>(() => SendOverHubAsync(hub, group.Id, hubMessageId));
                Assert.Contains("temporarily unavailable", refused.Message, StringComparison.OrdinalIgnoreCase);
            }

            app.StartInstance("postgres");
            await app.ResourceNotifications.WaitForResourceHealthyAsync("postgres").WaitAsync(TimeSpan.FromSeconds(60));
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(90));
        // The hub sender retries its refused message, as a client does: with the same clientMessageId, after the
        // Retry-After, until it is stored.
        ledger.Acknowledge(await RetrySendOverHubAsync(hub, group.Id, hubMessageId));

        output.WriteLine($"{Crashes} crashes; answers: {traffic.Summary}; acknowledged {ledger.Acknowledged.Count}");
        Assert.False(traffic.Answers.ContainsKey("500"), $"{traffic.Summary}; the Api logged:\n{app.FailuresLogged(["api"], LoggedFailures.UnhandledExceptions)}");
        Assert.DoesNotContain("no answer", traffic.Answers.Keys);
        Assert.True(traffic.Answers.GetValueOrDefault("503") > 0, $"no send fell into the outage: {traffic.Summary}");
        foreach (var (response, body) in traffic.Refusals)
        {
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
        }

        var history = await ledger.AssertStoredExactlyOnceAsync(hubSender, group.Id);
        output.WriteLine($"stored {history.Count} messages, seq 1..{history.Count} without a gap or a duplicate");
    }

    private static async Task<MessageResponse> RetrySendOverHubAsync(HubClient hub, Guid conversationId, Guid clientMessageId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendOverHubAsync(hub, conversationId, clientMessageId);
            }
            catch (HubException refused) when (attempt < 5 && refused.Message.Contains("temporarily unavailable", StringComparison.OrdinalIgnoreCase))
            {
                await Task.Delay(TransientFailures.RetryAfter);
            }
        }
    }

    private static Task<MessageResponse> SendOverHubAsync(HubClient hub, Guid conversationId, Guid clientMessageId) =>
        hub.Connection.InvokeAsync<MessageResponse>("SendMessage", conversationId, clientMessageId, "over the hub", null);
}
