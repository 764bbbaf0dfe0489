using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Notifications;
using StackExchange.Redis;

namespace SocialChat.Data.Realtime;

public static class RealtimeExtensions
{
    /// <summary>
    /// SignalR on the Redis backplane, for every process that talks to hub clients: the Realtime nodes that
    /// hold the connections, and the Api and Worker that publish to them through <c>IHubContext</c>.
    /// </summary>
    public static ISignalRServerBuilder AddSocialChatRealtime(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PresenceOptions>().BindConfiguration(PresenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<PresenceTracker>();
        builder.Services.AddSingleton<LastSeenWriter>();
        builder.Services.AddSingleton<TypingThrottle>();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<PresenceWatches>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PresenceWatches>());
        builder.Services.AddScoped<SignalRConversationEvents>();
        builder.Services.AddScoped<IConversationEvents>(services => services.GetRequiredService<SignalRConversationEvents>());
        builder.Services.AddScoped<INotificationPublisher>(services => services.GetRequiredService<SignalRConversationEvents>());
        builder.Services.AddScoped<IPresenceSubscriptions>(services => services.GetRequiredService<SignalRConversationEvents>());

        var cache = builder.Configuration.GetConnectionString(DataExtensions.CacheConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{DataExtensions.CacheConnectionName} is not set.");
        return builder.Services.AddSignalR()
            .AddJsonProtocol(options => ContractJson.Apply(options.PayloadSerializerOptions))
            .AddMessagePackProtocol(options => options.SerializerOptions = ContractMessagePackResolver.Options)
            .AddStackExchangeRedis(cache, options =>
            {
                options.Configuration.ChannelPrefix = RedisChannel.Literal("socialchat");
                options.Configuration.WithOutageTimeouts();
            });
    }
}
