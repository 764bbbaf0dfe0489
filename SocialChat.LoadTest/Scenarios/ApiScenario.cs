using System.Diagnostics;
using System.Net.Http.Json;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// REST at a fixed request rate for a bounded time: history pages (GET …/messages?limit=50) and sends
/// (POST …/messages), each by a member of the conversation; throughput and latency of each.
/// </summary>
internal static class ApiScenario
{
    private const double PerUserCeiling = 9; // the Api allows 600 requests a minute per user

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        if (options.Rate / options.Users > PerUserCeiling)
        {
            throw new ArgumentException($"{options.Rate}/s over {options.Users} users passes the Api's per-user limit; seed at least {Math.Ceiling(options.Rate / PerUserCeiling)} users.");
        }

        await using var seeder = new Seeder(options);
        var seed = await seeder.SeedAsync(options.Users, options.Groups, options.GroupSize, options.Directs, options.History, new Progress<string>(ProgressView.Line), cancellationToken);
        if (seed.Conversations.Count == 0)
        {
            throw new ArgumentException("The api scenario needs conversations: pass --groups or --directs.");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = options.Api, Timeout = TimeSpan.FromSeconds(30) };
        var tokens = new SessionTokens(options.JwtSigningKey);
        var cpu = ProcessCpu.Of(options);
        // The first requests of a fresh Api compile its code paths and fill its pools: the warm-up's are not reported.
        await IssueAsync($"api: warming up at {options.Rate:N0} requests/s", options.WarmUp, new RestOperation(), new RestOperation());
        var reads = new RestOperation();
        var sends = new RestOperation();
        var cpuAtStart = cpu.Sample();
        var stopwatch = await IssueAsync($"api: {options.Rate:N0} requests/s", options.Duration, reads, sends);
        var cpuAtEnd = cpu.Sample();

        Task<Stopwatch> IssueAsync(string title, double seconds, RestOperation reads, RestOperation sends)
        {
            var total = (long)Math.Round(options.Rate * seconds);
            var pending = new List<Task>();
            return ProgressView.RunAsync(title, total, async update =>
            {
                var stopwatch = Stopwatch.StartNew();
                for (long issued = 0; issued < total;)
                {
                    var due = Math.Min(total, (long)(stopwatch.Elapsed.TotalSeconds * options.Rate) + 1);
                    for (; issued < due; issued++)
                    {
                        var conversation = seed.Conversations[(int)(issued % seed.Conversations.Count)];
                        var user = seed.Users[conversation.Members[(int)(issued / seed.Conversations.Count % conversation.Members.Length)]];
                        // Reads and sends interleave evenly in the given proportion.
                        var isRead = Math.Floor((issued + 1) * options.ReadShare) > Math.Floor(issued * options.ReadShare);
                        pending.Add(isRead
                            ? reads.TimeAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/conversations/{conversation.Id}/messages?limit={PageLimit.Default}"), tokens.For(user.Id, user.SessionId), http, cancellationToken)
                            : sends.TimeAsync(() => new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{conversation.Id}/messages")
                            {
                                Content = JsonContent.Create(new SendMessageRequest(Guid.NewGuid(), MessageBody.Create(0, Stopwatch.GetTimestamp()), null), options: WorkerJson.Contract),
                            }, tokens.For(user.Id, user.SessionId), http, cancellationToken));
                    }

                    update(issued, $"{issued:N0} of {total:N0} issued");
                    await Task.Delay(1, cancellationToken);
                }

                await Task.WhenAll(pending);
                return stopwatch;
            });
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        var report = new ApiReport(options.Users, seed.Conversations.Count, options.Rate, seconds, reads.Report(seconds), sends.Report(seconds),
            cpu.Between(cpuAtStart, cpuAtEnd, reads.Count + sends.Count));
        await ReportWriter.WriteAsync(report, options.Report, "api", [
            ("rate × time", $"{options.Rate:N0}/s × {options.Duration} s over {options.Users:N0} users, {seed.Conversations.Count:N0} conversations of {options.History} messages"),
            ("history reads", $"{report.Reads.Ok:N0} ok of {report.Reads.Count:N0}, {report.Reads.OkPerSecond:N0}/s"),
            ("history read latency", report.Reads.Latency),
            ("sends", $"{report.Sends.Ok:N0} ok of {report.Sends.Count:N0}, {report.Sends.OkPerSecond:N0}/s"),
            ("send latency", report.Sends.Latency),
            ("CPU", ProcessCpu.Format(report.Cpu, "request")),
            ("errors", ConnectScenario.MergeErrors([new WorkerEvent("", 0, Errors: report.Reads.Errors), new WorkerEvent("", 0, Errors: report.Sends.Errors)])),
        ]);
        return report.Reads.Ok == report.Reads.Count && report.Sends.Ok == report.Sends.Count ? 0 : 1;
    }
}
