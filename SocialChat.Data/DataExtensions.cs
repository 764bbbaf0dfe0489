using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;
using SocialChat.Data.Social;

namespace SocialChat.Data;

public static class DataExtensions
{
    public const string DatabaseConnectionName = "socialdb";
    public const string CacheConnectionName = "cache";

    /// <summary>
    /// The PostgreSQL context and the Redis client, by the connection names the app host gives them, and the clock the
    /// data layer's services read (sessions, presence, retention).
    /// </summary>
    public static IHostApplicationBuilder AddSocialChatData(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddNpgsqlDbContext<SocialDbContext>(DatabaseConnectionName, SocialDbContextOptions.Configure);
        builder.AddRedisClient(CacheConnectionName);
        builder.Services.AddOptions<RedisOutageOptions>().BindConfiguration(RedisOutageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddOptions<SocialOptions>().BindConfiguration(SocialOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TimelineStore>();
        builder.Services.AddSingleton<MessageNotificationQueue>();
        builder.Services.AddScoped<HomeFeed>();
        return builder;
    }
}
