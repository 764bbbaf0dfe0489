using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Realtime;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// Changes to one large group at a fixed rate, made by its owner over REST: renames, a connected member removed and
/// added back, or a new group created with the same members. The Api tells each member with a live connection, as that
/// member sees the group (an unread count apiece), with ConversationChanged, and a removed member with ConversationRemoved. Some members are connected (in this
/// process); the rest are offline, as most members of a large group are. After the measured changes the owner sends a
/// message into each group they made or changed: every connected member hears it only if the changes took effect on
/// their live connection (joined, or left and joined again). Reports the changes' latency and whether every connected
/// member heard every change and every such message.
/// </summary>
internal static class GroupScenario
{
    private const double OwnerCeiling = 9; // the Api allows one user 600 requests a minute

    private const int WatchedPerMember = 20;

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        var requestsPerChange = options.Change == "members" ? 2 : 1;
        if (options.Rate * requestsPerChange > OwnerCeiling)
        {
            throw new ArgumentException($"One owner changes the group: --rate {options.Rate} times {requestsPerChange} request(s) per change passes the Api's per-user limit ({OwnerCeiling}/s).");
        }

        if (options.Online >= options.GroupSize || options.Change == "members" && options.Online == 0)
        {
            throw new ArgumentException("--online counts members other than the owner: fewer than --group-size, and at least one to remove with --change members.");
        }

        await using var seeder = new Seeder(options);
        var seed = await seeder.SeedAsync(options.GroupSize, groups: 1, options.GroupSize, directs: 0, options.History, new Progress<string>(ProgressView.Line), cancellationToken);
        var group = seed.Conversations[0];
        var owner = seed.Users[group.Members[0]];
        var online = group.Members.Skip(1).Take(options.Online).Select(i => seed.Users[i]).ToList();
        var othersIds = group.Members.Skip(1).Select(i => seed.Users[i].Id).ToArray();
        var tokens = new SessionTokens(options.JwtSigningKey);

        long heard = 0;
        long messagesHeard = 0;
        var members = await ConnectAsync(options, online, tokens, () => Interlocked.Increment(ref heard), () => Interlocked.Increment(ref messagesHeard), cancellationToken);
        try
        {
            using var http = new HttpClient { BaseAddress = options.Api, Timeout = TimeSpan.FromSeconds(30) };
            var ownerToken = tokens.For(owner.Id, owner.SessionId);
            var cpu = ProcessCpu.Of(options);
            var requested = 0;
            var changes = 0;
            var messages = new RestOperation();
            var changedGroups = new ConcurrentBag<Guid>(options.Change == "create" ? [] : [group.Id]);
            // One membership change at a time, each after the last one's answers, as an owner's client makes them: a removal
            // overlapping another's would leave the member removed first out of the second's ConversationChanged.
            var previousMembershipChange = Task.CompletedTask;

            // The first changes of a fresh Api compile its code paths: the warm-up's are not reported, but are heard.
            await ChangeAsync($"group: warming up at {options.Rate:N0} changes/s", options.WarmUp, new RestOperation());
            var measured = new RestOperation();
            var cpuAtStart = cpu.Sample();
            var stopwatch = await ChangeAsync($"group: {options.Rate:N0} changes/s ({options.Change})", options.Duration, measured);
            var cpuAtEnd = cpu.Sample();
            var seconds = stopwatch.Elapsed.TotalSeconds;
            // One at a time and after the measured changes, so that they cost the changes nothing.
            foreach (var conversationId in changedGroups)
            {
                await messages.TimeAsync(() => new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/messages")
                {
                    Content = JsonContent.Create(new { clientMessageId = Guid.CreateVersion7(), body = "heard by every member connected" }),
                }, ownerToken, http, cancellationToken);
            }

            Task<Stopwatch> ChangeAsync(string title, double seconds, RestOperation operation)
            {
                var total = (int)Math.Round(options.Rate * seconds);
                return ProgressView.RunAsync(title, total, async update =>
                {
                    var stopwatch = Stopwatch.StartNew();
                    var pending = new List<Task>();
                    for (var i = 0; i < total; i++)
                    {
                        var due = TimeSpan.FromSeconds(i / options.Rate) - stopwatch.Elapsed;
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, cancellationToken);
                        }

                        var change = ++changes;
                        pending.Add(options.Change switch
                        {
                            "members" => RemoveAndAddBackAsync(online[change % online.Count], operation),
                            "create" => CreateLikeAsync(change, operation),
                            _ => RenameAsync(change, operation),
                        });
                        update(i + 1, $"{i + 1:N0} of {total:N0} issued, {Interlocked.Read(ref heard):N0} heard, {Interlocked.Read(ref messagesHeard):N0} messages heard");
                    }

                    await Task.WhenAll(pending);
                    return stopwatch;
                });
            }

            Task RenameAsync(int change, RestOperation operation) =>
                RequestAsync(HttpMethod.Patch, $"/api/v1/conversations/{group.Id}", new { title = $"group change {change}" }, operation);

            async Task CreateLikeAsync(int change, RestOperation operation)
            {
                var (ok, created) = await RequestAsync(HttpMethod.Post, "/api/v1/conversations/groups", new { title = $"group copy {change}", memberIds = othersIds }, operation, readBody: true);
                if (ok)
                {
                    changedGroups.Add(JsonDocument.Parse(created!).RootElement.GetProperty("id").GetGuid());
                }
            }

            Task RemoveAndAddBackAsync(SeededUser member, RestOperation operation) =>
                previousMembershipChange = AfterAsync(previousMembershipChange, async () =>
                {
                    await RequestAsync(HttpMethod.Delete, $"/api/v1/conversations/{group.Id}/members/{member.Id}", null, operation);
                    await RequestAsync(HttpMethod.Post, $"/api/v1/conversations/{group.Id}/members", new { userIds = new[] { member.Id } }, operation);
                });

            static async Task AfterAsync(Task previous, Func<Task> next)
            {
                await previous;
                await next();
            }

            Task<(bool Ok, string? Body)> RequestAsync(HttpMethod method, string path, object? body, RestOperation operation, bool readBody = false)
            {
                Interlocked.Increment(ref requested);
                return operation.TimeAsync(
                    () => new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) }, ownerToken, http, cancellationToken, readBody);
            }

            // Every connected member hears every change that was answered, the warm-up's too: a removed member its removal.
            var expected = (long)requested * members.Count;
            var messagesSent = messages.Report(seconds);
            var messagesExpected = messagesSent.Ok * members.Count;
            var drainUntil = DateTime.UtcNow.AddSeconds(options.Drain);
            while ((Interlocked.Read(ref heard) < expected || Interlocked.Read(ref messagesHeard) < messagesExpected) && DateTime.UtcNow < drainUntil)
            {
                await Task.Delay(50, cancellationToken);
            }

            var report = new GroupReport(options.Change, options.GroupSize, members.Count, options.History, options.Rate, seconds, measured.Report(seconds),
                expected, Interlocked.Read(ref heard), messagesSent, messagesExpected, Interlocked.Read(ref messagesHeard), cpu.Between(cpuAtStart, cpuAtEnd, measured.Count));
            await ReportWriter.WriteAsync(report, options.Report, "group", [
                ("group", $"{options.GroupSize:N0} members, {members.Count:N0} of them connected, {options.History:N0} messages none has read"),
                ("changes", $"{options.Change}: {report.Changes.Ok:N0} requests ok of {report.Changes.Count:N0}, {report.Changes.OkPerSecond:N1}/s"),
                ("request latency", report.Changes.Latency),
                ("heard", $"{report.Heard:N0} ConversationChanged or ConversationRemoved of {report.Expected:N0} expected"),
                ("messages after", $"{report.Messages.Ok:N0} sent ok of {report.Messages.Count:N0}, {report.MessagesHeard:N0} heard of {report.MessagesExpected:N0} expected"),
                ("CPU", ProcessCpu.Format(report.Cpu, "request")),
                ("errors", ConnectScenario.MergeErrors([new WorkerEvent("", 0, Errors: report.Changes.Errors), new WorkerEvent("", 0, Errors: report.Messages.Errors)])),
            ]);
            var everyMessageHeard = report.Messages.Ok == report.Messages.Count && report.MessagesHeard == report.MessagesExpected;
            return report.Changes.Ok == report.Changes.Count && report.Heard == report.Expected && everyMessageHeard ? 0 : 1;
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// Members' hub connections, spread over the Realtime nodes, each watching the presence of the next few; each counts the
    /// ConversationChanged and ConversationRemoved it hears, and apart the messages.
    /// </summary>
    private static async Task<List<HubConnection>> ConnectAsync(
        LoadTestOptions options, IReadOnlyList<SeededUser> users, SessionTokens tokens, Action heard, Action messageHeard, CancellationToken cancellationToken)
    {
        var connections = new List<HubConnection>(users.Count);
        foreach (var batch in users.Select((user, i) => (User: user, Index: i, Realtime: options.RealtimeUrls[i % options.RealtimeUrls.Count])).Chunk(options.ConnectConcurrency))
        {
            connections.AddRange(await Task.WhenAll(batch.Select(async member =>
            {
                var connection = new HubConnectionBuilder()
                    .WithUrl(SignalRChatConnection.HubUri(member.Realtime, tokens.For(member.User.Id, member.User.SessionId)), o =>
                    {
                        o.Transports = HttpTransportType.WebSockets;
                        o.SkipNegotiation = true;
                    })
                    .Build();
                connection.On<JsonElement>("ConversationChanged", _ => heard());
                connection.On<JsonElement>("ConversationRemoved", _ => heard());
                connection.On<JsonElement>("MessageReceived", _ => messageHeard());
                await connection.StartAsync(cancellationToken);
                // Watches some fellow members, as a client showing the group's members does. Returns once the server has
                // recorded the connection in presence, where the Api finds it.
                var watched = Enumerable.Range(member.Index + 1, WatchedPerMember).Select(i => users[i % users.Count].Id).Where(id => id != member.User.Id);
                await connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", watched.Distinct().ToArray(), cancellationToken);
                return connection;
            })));
        }

        return connections;
    }
}
