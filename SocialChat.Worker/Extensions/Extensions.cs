using SocialChat.Data;
using SocialChat.Data.Realtime;
using SocialChat.Worker.FanOut;
using SocialChat.Worker.Migrations;
using SocialChat.Worker.Presence;

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

        // The sweep announces PresenceChanged to hub clients through the backplane.
        builder.AddSocialChatRealtime();
        builder.Services.AddHostedService<DeadNodeSweeper>();
    }
}
