using Microsoft.Extensions.Options;
using SocialChat.Data.Notifications;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Scheduling;

namespace SocialChat.Worker.Notifications;

/// <summary>
/// Every <see cref="MessageNotificationOptions.PollInterval"/>: takes the conversations whose new messages are
/// <see cref="MessageNotificationOptions.Delay"/> old off <see cref="MessageNotificationQueue"/>, a batch at a time until
/// none is due, and has <see cref="MessageNotifier"/> notify their offline members. A batch that fails, or is cut short by
/// a stop, goes back on the queue.
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
        List<Guid> conversations;
        do
        {
            conversations = await queue.TakeDueAsync(delay, batchSize);
            if (conversations.Count == 0)
            {
                return;
            }

            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MessageNotifier>().NotifyOfflineMembersAsync(conversations, stoppingToken);
            }
            catch
            {
                await queue.RequeueAsync(conversations);
                throw;
            }
        }
        while (conversations.Count == batchSize);
    }
}
