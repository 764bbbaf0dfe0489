using Microsoft.Extensions.Options;
using SocialChat.Data.Notifications;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Scheduling;

namespace SocialChat.Worker.Notifications;

/// <summary>
/// Every <see cref="MessageNotificationOptions.PollInterval"/>: takes the conversations whose new messages are
/// <see cref="MessageNotificationOptions.Delay"/> old off <see cref="MessageNotificationQueue"/>, a batch at a time until
/// none is due, and has <see cref="MessageNotifier"/> notify their offline members. A batch that fails, or is cut short by
/// a stop, goes back on the queue; one whose Worker died comes due again when its lease ends.
/// </summary>
internal sealed class OfflineMemberNotifications(
    IServiceScopeFactory scopeFactory,
    MessageNotificationQueue queue,
    DatabaseMigrationStatus migrations,
    IOptions<MessageNotificationOptions> options,
    ILogger<OfflineMemberNotifications> logger) : PeriodicJob(migrations, logger)
{
    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var (delay, batchSize) = (options.Value.Delay, options.Value.ConversationsPerBatch);
        DueConversations taken;
        do
        {
            taken = await queue.TakeDueAsync(delay, batchSize, options.Value.Lease);
            if (taken.ConversationIds.Count == 0)
            {
                return;
            }

            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MessageNotifier>().NotifyOfflineMembersAsync(taken.ConversationIds, stoppingToken);
            }
            catch
            {
                await queue.RequeueAsync(taken.ConversationIds);
                throw;
            }

            await queue.CompleteAsync(taken);
        }
        while (taken.ConversationIds.Count == batchSize);
    }
}
