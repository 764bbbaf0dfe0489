using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Social;
using SocialChat.Worker.Migrations;

namespace SocialChat.Worker.FanOut;

/// <summary>
/// Drains the fan-out outbox: each job puts a new post into (or takes a deleted one out of) the built
/// timelines of the author and their followers. Posts of popular authors have no jobs (they are merged into
/// feeds at read time), so every job here goes to every follower. A job is deleted in the same transaction that claimed it,
/// after the timelines were written, so a Worker that dies mid-way leaves the job to be done again; the
/// timeline writes are set operations, so doing one twice still shows the post once.
/// </summary>
internal sealed class TimelineFanOut(
    IServiceScopeFactory scopeFactory,
    TimelineStore timelines,
    DatabaseMigrationStatus migrations,
    IOptions<SocialOptions> options,
    ILogger<TimelineFanOut> logger) : BackgroundService
{
    private const int JobsPerBatch = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitForCompletionAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var processed = 0;
            try
            {
                processed = await ProcessBatchAsync(stoppingToken);
            }
            // Only stopping ends the loop: a Redis command the library gave up on also ends cancelled.
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Fan-out batch failed; its jobs stay queued and are retried");
            }

            if (processed < JobsPerBatch)
            {
                await Task.Delay(options.Value.FanOutPollInterval, stoppingToken);
            }
        }
    }

    private async Task<int> ProcessBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SocialDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // SKIP LOCKED lets a second Worker (during a rolling restart) take other jobs instead of waiting.
        var jobs = await db.FanOutJobs
            .FromSql($"SELECT * FROM fan_out_jobs ORDER BY id LIMIT {JobsPerBatch} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (jobs.Count == 0)
        {
            return 0;
        }

        // One span per batch that found work, so its queries, timeline writes and commit read as one trace.
        using var activity = SocialChatTelemetry.ActivitySource.StartActivity("fan out posts");
        activity?.SetTag("socialchat.fanout.jobs", jobs.Count);
        foreach (var job in jobs)
        {
            var recipients = await db.Follows.Where(f => f.FolloweeId == job.AuthorId).Select(f => f.FollowerId).ToListAsync(cancellationToken);
            recipients.Add(job.AuthorId);
            if (job.Kind == FanOutKind.Publish)
            {
                await timelines.AddToBuiltTimelinesAsync(recipients, job.PostId);
            }
            else
            {
                await timelines.RemoveFromTimelinesAsync(recipients, job.PostId);
            }

            db.FanOutJobs.Remove(job);
            SocialChatMetrics.FanOutLag.Record((DateTime.UtcNow - job.CreatedAt).TotalMilliseconds);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return jobs.Count;
    }
}
