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
/// Changes to one large group at a fixed rate: its owner renames it over REST, and the Api tells each member with a live
/// connection, as that member sees the group (an unread count apiece), with ConversationChanged. Some members are
/// connected (in this process); the rest are offline, as most members of a large group are. Reports the renames'
/// latency and whether every connected member heard every change.
/// </summary>
internal static class GroupScenario
{
    private const double OwnerCeiling = 9; // the Api allows one user 600 requests a minute

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        if (options.Rate > OwnerCeiling)
        {
            throw new ArgumentException($"One owner renames the group: --rate {options.Rate} passes the Api's per-user limit ({OwnerCeiling}/s).");
        }

        if (options.Online >= options.GroupSize)
        {
            throw new ArgumentException("--online counts members other than the owner: fewer than --group-size.");
        }

        await using var seeder = new Seeder(options);
        var seed = await seeder.SeedAsync(options.GroupSize, groups: 1, options.GroupSize, directs: 0, options.History, new Progress<string>(ProgressView.Line), cancellationToken);
        var group = seed.Conversations[0];
        var owner = seed.Users[group.Members[0]];
        var tokens = new SessionTokens(options.JwtSigningKey);

        long heard = 0;
        var members = await ConnectAsync(options, [.. group.Members.Skip(1).Take(options.Online).Select(i => seed.Users[i])], tokens, () => Interlocked.Increment(ref heard), cancellationToken);
        try
        {
            using var http = new HttpClient { BaseAddress = options.Api, Timeout = TimeSpan.FromSeconds(30) };
            var ownerToken = tokens.For(owner.Id, owner.SessionId);
            var cpu = ProcessCpu.Of(options);
            // The first renames of a fresh Api compile its code paths: the warm-up's are not reported, but are heard.
            var renamed = 0;
            await RenameAsync($"group: warming up at {options.Rate:N0} renames/s", options.WarmUp, new RestOperation());
            var renames = new RestOperation();
            var cpuAtStart = cpu.Sample();
            var stopwatch = await RenameAsync($"group: {options.Rate:N0} renames/s", options.Duration, renames);
            var cpuAtEnd = cpu.Sample();

            Task<Stopwatch> RenameAsync(string title, double seconds, RestOperation operation)
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

                        var title = $"group change {++renamed}";
                        pending.Add(operation.TimeAsync(
                            () => new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/conversations/{group.Id}") { Content = JsonContent.Create(new { title }) },
                            ownerToken, http, cancellationToken));
                        update(i + 1, $"{i + 1:N0} of {total:N0} issued, {Interlocked.Read(ref heard):N0} heard");
                    }

                    await Task.WhenAll(pending);
                    return stopwatch;
                });
            }

            // Every connected member hears every rename that was answered, the warm-up's too.
            var expected = (long)renamed * members.Count;
            var drainUntil = DateTime.UtcNow.AddSeconds(options.Drain);
            while (Interlocked.Read(ref heard) < expected && DateTime.UtcNow < drainUntil)
            {
                await Task.Delay(50, cancellationToken);
            }

            var seconds = stopwatch.Elapsed.TotalSeconds;
            var report = new GroupReport(options.GroupSize, members.Count, options.History, options.Rate, seconds, renames.Report(seconds),
                expected, Interlocked.Read(ref heard), cpu.Between(cpuAtStart, cpuAtEnd, renames.Count));
            await ReportWriter.WriteAsync(report, options.Report, "group", [
                ("group", $"{options.GroupSize:N0} members, {members.Count:N0} of them connected, {options.History:N0} messages none has read"),
                ("renames", $"{report.Renames.Ok:N0} ok of {report.Renames.Count:N0}, {report.Renames.OkPerSecond:N1}/s"),
                ("rename latency", report.Renames.Latency),
                ("ConversationChanged", $"{report.Heard:N0} heard of {report.Expected:N0} expected"),
                ("CPU", ProcessCpu.Format(report.Cpu, "rename")),
                ("errors", ConnectScenario.MergeErrors([new WorkerEvent("", 0, Errors: report.Renames.Errors)])),
            ]);
            return report.Renames.Ok == report.Renames.Count && report.Heard == report.Expected ? 0 : 1;
        }
        finally
        {
            await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    /// <summary>Members' hub connections, spread over the Realtime nodes; each counts the ConversationChanged it hears.</summary>
    private static async Task<List<HubConnection>> ConnectAsync(
        LoadTestOptions options, IReadOnlyList<SeededUser> users, SessionTokens tokens, Action heard, CancellationToken cancellationToken)
    {
        var connections = new List<HubConnection>(users.Count);
        foreach (var batch in users.Select((user, i) => (User: user, Realtime: options.RealtimeUrls[i % options.RealtimeUrls.Count])).Chunk(options.ConnectConcurrency))
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
                await connection.StartAsync(cancellationToken);
                // Returns once the server has recorded the connection in presence, where the Api finds it.
                await connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", Array.Empty<Guid>(), cancellationToken);
                return connection;
            })));
        }

        return connections;
    }
}
