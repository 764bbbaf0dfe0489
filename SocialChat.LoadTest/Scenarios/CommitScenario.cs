using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Seeding;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// The durable send path against the database's own commit rate (issue 9: durable sends/s at least PostgreSQL's
/// single-row INSERT rate). --concurrency callers in this process send through the services' own send operation
/// (<see cref="Messages.SendAsync"/>: the member check, the grouped commit, the publish to the backplane), as the Api
/// and the hub call it but without HTTP or a socket in front; as many connections commit single-row INSERTs into a
/// scratch table of the same PostgreSQL. After a warm-up of each, the two take --rounds turns of --duration / --rounds
/// seconds, and each is reported over its turns together.
/// </summary>
internal static class CommitScenario
{
    private const string ScratchTable = "loadtest_single_row_inserts";

    public static async Task<int> RunAsync(LoadTestOptions options, CancellationToken cancellationToken)
    {
        Loopback.RequireTargets(options);
        await using var services = new Seeder(
            options,
            new Dictionary<string, string?> { [$"{MessageCommitOptions.SectionName}:{nameof(MessageCommitOptions.Committers)}"] = options.Committers.ToString() },
            builder =>
            {
                builder.AddSocialChatRealtime();
                builder.AddSocialChatMessages();
            });
        var seed = await services.SeedAsync(options.Users, options.Groups, options.GroupSize, options.Directs, historyPerConversation: 0, new Progress<string>(ProgressView.Line), cancellationToken);
        if (seed.Conversations.Count == 0)
        {
            throw new ArgumentException("The commit scenario needs conversations: pass --groups or --directs.");
        }

        var cpu = ProcessCpu.Of(options);
        long issued = 0;
        Task Send(OperationTally tally) => SendAsync(services.Services, seed, Interlocked.Increment(ref issued), tally);
        Task Insert(OperationTally tally) => InsertAsync(services.Database, tally);
        var warmUp = new OperationTally();
        var sends = new OperationTally();
        var inserts = new OperationTally();
        double sendSeconds = 0, insertSeconds = 0;
        List<(CpuSample Start, CpuSample End)> sendWindows = [], insertWindows = [];
        long commitCount, committedSends;

        // A plain logged table: each INSERT is a commit that waits for its WAL flush, as a send's does.
        await ExecuteAsync(services.Database, $"CREATE TABLE IF NOT EXISTS {ScratchTable} (id uuid PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL)");
        try
        {
            // Both warm up (compiled code, open connections) before either is measured.
            await RunCallersAsync("commit: warming up the send path", options.WarmUp, options.Concurrency, warmUp, Send, cancellationToken);
            await RunCallersAsync("commit: warming up the INSERTs", options.WarmUp, options.Concurrency, new OperationTally(), Insert, cancellationToken);
            var roundSeconds = options.Duration / options.Rounds;
            using var commits = new CommitCounter();
            for (var round = 1; round <= options.Rounds; round++)
            {
                var start = cpu.Sample();
                sendSeconds += await RunCallersAsync($"commit: round {round} of {options.Rounds}, {options.Concurrency} callers sending", roundSeconds, options.Concurrency, sends, Send, cancellationToken);
                var turn = cpu.Sample();
                sendWindows.Add((start, turn));
                insertSeconds += await RunCallersAsync($"commit: round {round} of {options.Rounds}, {options.Concurrency} connections inserting single rows", roundSeconds, options.Concurrency, inserts, Insert, cancellationToken);
                insertWindows.Add((turn, cpu.Sample()));
            }

            (commitCount, committedSends) = commits.Totals;
        }
        finally
        {
            await ExecuteAsync(services.Database, $"DROP TABLE IF EXISTS {ScratchTable}");
        }

        // Every acknowledged send must be in the database: the conversations' last seqs count what was committed.
        var stored = (await services.LastSeqsAsync(seed.Conversations.Select(c => c.Id), cancellationToken)).Values.Sum();

        var report = new CommitReport(
            options.Users, seed.Conversations.Count, options.Concurrency, options.Committers, options.Duration, options.Rounds,
            warmUp.Report(options.WarmUp).Ok, sends.Report(sendSeconds), stored, commitCount, commitCount == 0 ? 0 : (double)committedSends / commitCount,
            inserts.Report(insertSeconds),
            cpu.Over(sendWindows, sends.Count),
            cpu.Over(insertWindows, inserts.Count));
        var ratio = report.Sends.OkPerSecond / Math.Max(report.SingleRowInserts.OkPerSecond, 0.001);
        await ReportWriter.WriteAsync(report, options.Report, "commit", [
            ("callers × time", $"{options.Concurrency} × {options.Duration} s in {options.Rounds} rounds each, {seed.Conversations.Count:N0} conversations of {options.Users:N0} users, {options.Committers} committers"),
            ("durable sends", $"{report.Sends.Ok:N0} ok of {report.Sends.Count:N0}, {report.Sends.OkPerSecond:N0}/s"),
            ("send latency", report.Sends.Latency),
            ("CPU while sending", ProcessCpu.Format(report.SendCpu)),
            ("stored", $"{report.Stored:N0} messages for {report.WarmUpSends + report.Sends.Ok:N0} acknowledged sends ({report.WarmUpSends:N0} while warming up)"),
            ("commits", $"{report.Commits:N0}, {report.SendsPerCommit:F1} sends each"),
            ("single-row INSERTs", $"{report.SingleRowInserts.Ok:N0} ok of {report.SingleRowInserts.Count:N0}, {report.SingleRowInserts.OkPerSecond:N0}/s"),
            ("INSERT latency", report.SingleRowInserts.Latency),
            ("CPU while inserting", ProcessCpu.Format(report.InsertCpu, "INSERT")),
            ("durable sends / single-row INSERTs", $"{ratio:F2}×"),
            ("errors", ConnectScenario.MergeErrors([new WorkerEvent("", 0, Errors: report.Sends.Errors), new WorkerEvent("", 0, Errors: report.SingleRowInserts.Errors)])),
        ]);
        var allStored = report.Stored == report.WarmUpSends + report.Sends.Ok;
        return allStored && report.Sends.Ok == report.Sends.Count && report.SingleRowInserts.Ok == report.SingleRowInserts.Count ? 0 : 1;
    }

    /// <summary>Runs one loop per caller until the seconds have passed; returns the seconds until the last call ended.</summary>
    private static Task<double> RunCallersAsync(string title, double seconds, int concurrency, OperationTally tally, Func<OperationTally, Task> call, CancellationToken cancellationToken) =>
        ProgressView.RunAsync(title, seconds, async update =>
        {
            var stopwatch = Stopwatch.StartNew();
            var callers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (stopwatch.Elapsed.TotalSeconds < seconds)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await call(tally);
                }
            }, cancellationToken)).ToArray();
            var all = Task.WhenAll(callers);
            while (!all.IsCompleted)
            {
                update(Math.Min(stopwatch.Elapsed.TotalSeconds, seconds), $"{tally.Ok:N0} done");
                await Task.WhenAny(all, Task.Delay(500, cancellationToken));
            }

            await all;
            return stopwatch.Elapsed.TotalSeconds;
        });

    /// <summary>The n-th send goes round the conversations, and round each one's members as its sender.</summary>
    private static async Task SendAsync(IServiceProvider services, SeedPlan seed, long n, OperationTally sends)
    {
        var conversation = seed.Conversations[(int)(n % seed.Conversations.Count)];
        var sender = seed.Users[conversation.Members[(int)(n / seed.Conversations.Count % conversation.Members.Length)]];
        var started = sends.Begin();
        try
        {
            // A scope per send, as a request or a hub invocation has: its own DbContext.
            await using var scope = services.CreateAsyncScope();
            var sent = await scope.ServiceProvider.GetRequiredService<Messages>().SendAsync(
                sender.Id, conversation.Id, new SendMessageRequest(Guid.NewGuid(), MessageBody.Create(0, started), null), CancellationToken.None);
            if (sent.IsSuccess)
            {
                sends.Succeeded(started);
            }
            else
            {
                sends.Failed(sent.Error.GetType().Name);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            sends.Failed(exception.GetType().Name);
        }
    }

    private static async Task InsertAsync(NpgsqlDataSource database, OperationTally inserts)
    {
        var started = inserts.Begin();
        try
        {
            await using var command = database.CreateCommand($"INSERT INTO {ScratchTable} (id, body, created_at) VALUES ($1, $2, now())");
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
            command.Parameters.Add(new NpgsqlParameter { Value = MessageBody.Create(0, started) });
            await command.ExecuteNonQueryAsync();
            inserts.Succeeded(started);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            inserts.Failed(exception.GetType().Name);
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Commits and the sends they stored, from the committer's own instrument in this process.</summary>
    private sealed class CommitCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _commits;
        private long _sends;

        public CommitCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument == SocialChatMetrics.SendsPerCommit)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, sends, _, _) =>
            {
                Interlocked.Increment(ref _commits);
                Interlocked.Add(ref _sends, sends);
            });
            _listener.Start();
        }

        public (long Commits, long Sends) Totals => (Interlocked.Read(ref _commits), Interlocked.Read(ref _sends));

        public void Dispose() => _listener.Dispose();
    }
}
