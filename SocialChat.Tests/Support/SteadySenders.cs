using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Messages;

namespace SocialChat.Tests.Support;

/// <summary>
/// Users chatting at a steady rate, over REST or the hub, as clients do: each send carries a fresh
/// clientMessageId, a refused or unanswered send is retried with the same one until it is acknowledged, and
/// only then does the sender move on. Every answer is counted, every refusal kept, every call timed.
/// </summary>
public sealed class SteadySenders(DeliveryLedger ledger, Guid conversationId, TimeSpan interval)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PendingRetryLimit = TimeSpan.FromSeconds(60);

    /// <summary>Answers by kind: an HTTP status, "no answer" (REST), "hub ok", "hub refused", "hub no answer".</summary>
    public ConcurrentDictionary<string, int> Answers { get; } = new();

    /// <summary>Each REST answer that was not a success, with its headers and body.</summary>
    public ConcurrentQueue<(HttpResponseMessage Response, string Body)> Refusals { get; } = new();

    /// <summary>Each hub call that threw, with what it said.</summary>
    public ConcurrentQueue<string> HubRefusals { get; } = new();

    /// <summary>When each hub call started and how long it took, successful or not.</summary>
    public ConcurrentQueue<(DateTime StartedAt, TimeSpan Duration)> HubCalls { get; } = new();

    public string Summary => string.Join(", ", Answers.OrderBy(a => a.Key).Select(a => $"{a.Key}: {a.Value}"));

    /// <summary>Sends over REST until <paramref name="stop"/> is cancelled, then finishes the message each sender still has pending.</summary>
    public Task RunAsync(IEnumerable<TestUser> senders, CancellationToken stop) =>
        Task.WhenAll(senders.Select((sender, index) =>
            SendLoopAsync(sender.User.Username, index, (id, body) => TrySendAsync(sender, id, body), stop)));

    /// <summary>The same over hub connections (SendMessage).</summary>
    public Task RunOverHubAsync(IEnumerable<(string Name, HubClient Client)> senders, CancellationToken stop) =>
        Task.WhenAll(senders.Select((sender, index) =>
            SendLoopAsync(sender.Name, index, (id, body) => TrySendOverHubAsync(sender.Client, id, body), stop)));

    private async Task SendLoopAsync(string name, int index, Func<Guid, string, Task<bool>> trySend, CancellationToken stop)
    {
        // Senders start out of step, so the rate is steady rather than in bursts.
        await Task.Delay(interval * index / 7, CancellationToken.None);
        var count = 0;
        while (!stop.IsCancellationRequested)
        {
            var clientMessageId = Guid.NewGuid();
            var body = $"{name} #{++count}";
            var pendingSince = DateTime.UtcNow;
            while (!await trySend(clientMessageId, body))
            {
                Assert.True(DateTime.UtcNow - pendingSince < PendingRetryLimit, $"{name}'s message was refused for a minute: {Summary}");
                await Task.Delay(interval, CancellationToken.None);
            }

            await Task.Delay(interval, CancellationToken.None);
        }
    }

    private async Task<bool> TrySendAsync(TestUser sender, Guid clientMessageId, string body)
    {
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        try
        {
            var response = await sender.Client.PostAsJsonAsync(
                $"/api/v1/conversations/{conversationId}/messages", new { clientMessageId, body }, TestJson.Options, timeout.Token);
            Count(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (response.IsSuccessStatusCode)
            {
                ledger.Acknowledge(await response.ReadAsync<MessageResponse>());
                return true;
            }

            Refusals.Enqueue((response, await response.Content.ReadAsStringAsync(CancellationToken.None)));
            return false;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            Count("no answer");
            return false;
        }
    }

    private async Task<bool> TrySendOverHubAsync(HubClient client, Guid clientMessageId, string body)
    {
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        var startedAt = DateTime.UtcNow;
        var watch = Stopwatch.StartNew();
        try
        {
            ledger.Acknowledge(await client.Connection.InvokeAsync<MessageResponse>("SendMessage", conversationId, clientMessageId, body, null, timeout.Token));
            Count("hub ok");
            return true;
        }
        catch (HubException exception)
        {
            Count("hub refused");
            HubRefusals.Enqueue(exception.Message);
            return false;
        }
        catch (OperationCanceledException)
        {
            Count("hub no answer");
            return false;
        }
        finally
        {
            HubCalls.Enqueue((startedAt, watch.Elapsed));
        }
    }

    private void Count(string answer) => Answers.AddOrUpdate(answer, 1, (_, n) => n + 1);
}
