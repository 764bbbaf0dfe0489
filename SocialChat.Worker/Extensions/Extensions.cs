using SocialChat.Data;
using SocialChat.Worker.FanOut;
using SocialChat.Worker.Migrations;

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
    }
}
