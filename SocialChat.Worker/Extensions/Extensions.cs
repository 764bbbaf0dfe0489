using SocialChat.Data;
using SocialChat.Data.Auth;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;
using SocialChat.Worker.FanOut;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Notifications;
using SocialChat.Worker.Presence;
using SocialChat.Worker.Retention;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static void AddWorkerServices(this IHostApplicationBuilder builder)
    {
        builder.AddSocialChatData();

        builder.Services.AddSingleton<DatabaseMigrationStatus>();
        builder.Services.AddHostedService<DatabaseMigrator>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseMigrationHealthCheck>("migrations");

        builder.Services.AddHostedService<TimelineFanOut>();

        builder.Services.AddOptions<SessionRetentionOptions>().BindConfiguration(SessionRetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<SessionRetention>();
        builder.Services.AddHostedService<SessionPurge>();

        builder.Services.AddOptions<MessageNotificationOptions>().BindConfiguration(MessageNotificationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<MessageNotifier>();
        builder.Services.AddHostedService<OfflineMemberNotifications>();

        // The sweep announces PresenceChanged to hub clients through the backplane.
        builder.AddSocialChatRealtime();
        builder.Services.AddHostedService<DeadNodeSweeper>();
    }
}
