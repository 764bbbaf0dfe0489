using System.Collections.Concurrent;
using SocialChat.Data.Messages;

namespace SocialChat.Tests.Support;

/// <summary>
/// The bookkeeping of a fault test for one conversation: every message a sender had acknowledged, and per
/// receiver what arrived live and what the catch-up (<c>GET …/messages?after=</c>) brought. From these come the
/// counts RELIABILITY.md reports: sent, received, caught up, lost, duplicated, and whether order was kept.
/// </summary>
public sealed class DeliveryLedger
{
    private readonly ConcurrentDictionary<Guid, MessageResponse> _acknowledged = new();

    public IReadOnlyCollection<MessageResponse> Acknowledged => [.. _acknowledged.Values];

    /// <summary>A send that answered 201/200 (or a hub call that returned the message).</summary>
    public void Acknowledge(MessageResponse message) => _acknowledged[message.ClientMessageId] = message;

    public Receiver AddReceiver(string name) => new(this, name);

    /// <summary>
    /// The stored history has seq 1..N without a gap, each acknowledged message once under the seq it was
    /// acknowledged with, and no message stored twice. Returns the history.
    /// </summary>
    /// <param name="member">Reads the history over REST: a member the traffic did not send for, whose request budget
    /// (600 a minute) is not already spent on sends; a REST sender of a fast run may have none left for the pages.</param>
    public async Task<List<MessageResponse>> AssertStoredExactlyOnceAsync(TestUser member, Guid conversationId)
    {
        var history = await Chat.CatchUpAsync(member, conversationId, after: 0);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(m => m.Seq));
        Assert.Equal(history.Count, history.Select(m => (m.SenderId, m.ClientMessageId)).Distinct().Count());
        var stored = history.ToDictionary(m => m.ClientMessageId);
        var missing = Acknowledged.Where(m => !stored.TryGetValue(m.ClientMessageId, out var row) || row.Seq != m.Seq).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged message(s) not stored as acknowledged, e.g. seq {missing.FirstOrDefault()?.Seq}");
        return history;
    }

    /// <summary>One user's view: live events, possibly over several connections one after the other, then catch-ups.</summary>
    public sealed class Receiver(DeliveryLedger ledger, string name)
    {
        private readonly ConcurrentQueue<HubClient> _connections = new();
        private readonly ConcurrentQueue<MessageResponse> _caughtUp = new();

        public string Name { get; } = name;

        /// <summary>
        /// The seq up to which this receiver has every message, live or caught up: where its next catch-up starts.
        /// Seq has no gaps, so a client that sees 10 and then 25 knows it misses 11–24.
        /// </summary>
        public long LastSeq
        {
            get
            {
                var seen = Live.Concat(_caughtUp).Select(m => m.Seq).ToHashSet();
                var last = 0L;
                while (seen.Contains(last + 1))
                {
                    last++;
                }

                return last;
            }
        }

        /// <summary>Every MessageReceived event of this receiver's connections, the earlier connections' first.</summary>
        public List<MessageResponse> Live => [.. _connections.SelectMany(c => c.Received<MessageResponse>("MessageReceived"))];

        /// <summary>Counts this connection's MessageReceived events (all of them, since it connected) as this receiver's.</summary>
        public void Listen(HubClient client) => _connections.Enqueue(client);

        public async Task CatchUpAsync(TestUser user, Guid conversationId)
        {
            foreach (var message in await Chat.CatchUpAsync(user, conversationId, LastSeq))
            {
                _caughtUp.Enqueue(message);
            }
        }

        public DeliveryReport Report()
        {
            var live = Live;
            var caughtUp = _caughtUp.ToList();
            var liveSeqs = live.Select(m => m.Seq).ToHashSet();
            var caughtUpSeqs = caughtUp.Select(m => m.Seq).ToHashSet();
            var sent = ledger.Acknowledged.Select(m => m.Seq).ToList();
            return new DeliveryReport(
                Name,
                Sent: sent.Count,
                Received: sent.Count(liveSeqs.Contains),
                CaughtUp: sent.Count(seq => !liveSeqs.Contains(seq) && caughtUpSeqs.Contains(seq)),
                Lost: sent.Count(seq => !liveSeqs.Contains(seq) && !caughtUpSeqs.Contains(seq)),
                // The same seq delivered live twice, or brought twice by catch-ups.
                Duplicated: (live.Count - liveSeqs.Count) + (caughtUp.Count - caughtUpSeqs.Count),
                OrderKept: InSenderOrder(live) && InSeqOrder(caughtUp));
        }

        // Live events of different senders may interleave in any order; one sender's, sent one after the other, may not.
        private static bool InSenderOrder(List<MessageResponse> live) =>
            live.GroupBy(m => m.SenderId).All(fromOne => InSeqOrder([.. fromOne]));

        private static bool InSeqOrder(List<MessageResponse> messages) =>
            messages.Zip(messages.Skip(1)).All(pair => pair.First.Seq < pair.Second.Seq);
    }
}

public sealed record DeliveryReport(string Receiver, int Sent, int Received, int CaughtUp, int Lost, int Duplicated, bool OrderKept)
{
    public void AssertNothingLostOrDuplicated()
    {
        Assert.True(Sent > 0 && Lost == 0 && Duplicated == 0 && OrderKept, ToString());
    }
}
