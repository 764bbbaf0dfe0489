using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Reliability;

/// <summary>RELIABILITY.md, "A client offline while 10,000 messages are sent".</summary>
[Collection(FaultTests.Collection)]
public sealed class OfflineCatchUpTests(ITestOutputHelper output)
{
    private const int MessagesPerConversation = 5_000;
    private const int SendersPerConversation = 10;

    [Fact]
    public async Task A_client_offline_while_10000_messages_are_sent_to_its_conversations_catches_up_on_all_of_them()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync();
        var offline = await TestUser.RegisterAsync(app);
        var ledgers = new List<(Guid ConversationId, DeliveryLedger Ledger, TestUser[] Senders)>();
        for (var conversation = 0; conversation < 2; conversation++)
        {
            var senders = await Task.WhenAll(Enumerable.Range(0, SendersPerConversation).Select(_ => TestUser.RegisterAsync(app)));
            var group = await Chat.CreateGroupAsync(senders[0], [.. senders[1..], offline]);
            ledgers.Add((group.Id, new DeliveryLedger(), senders));
        }

        // The client saw both conversations empty, then went offline (no connection) while everyone sent.
        var started = DateTime.UtcNow;
        await Task.WhenAll(ledgers.SelectMany(c => c.Senders.Select(async sender =>
        {
            for (var i = 0; i < MessagesPerConversation / SendersPerConversation; i++)
            {
                c.Ledger.Acknowledge(await Chat.SendAsync(sender, c.ConversationId, $"{sender.User.Username} #{i}"));
            }
        })));
        output.WriteLine($"sent {2 * MessagesPerConversation} messages in {(DateTime.UtcNow - started).TotalSeconds:F1} s from {2 * SendersPerConversation} concurrent senders");

        await using var back = await HubClient.ConnectAsync(app.GetEndpoint("realtime", "http", 0), offline.AccessToken);
        started = DateTime.UtcNow;
        foreach (var (conversationId, ledger, _) in ledgers)
        {
            Assert.Equal(MessagesPerConversation, (await Chat.GetAsync(offline, conversationId)).UnreadCount);
            var receiver = ledger.AddReceiver($"offline member of {conversationId}");
            receiver.Listen(back);
            await receiver.CatchUpAsync(offline, conversationId);
            var report = receiver.Report();
            output.WriteLine(report.ToString());
            report.AssertNothingLostOrDuplicated();
            Assert.Equal(MessagesPerConversation, report.CaughtUp);
            await ledger.AssertStoredExactlyOnceAsync(offline, conversationId);
        }

        output.WriteLine($"caught up in {(DateTime.UtcNow - started).TotalSeconds:F1} s (pages of 100, both conversations, with the stored-history check)");
    }
}
