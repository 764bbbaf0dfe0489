using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using SocialChat.Data;
using SocialChat.Data.Auth;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;
using SocialChat.Realtime.Presence;
using SocialChat.Realtime.RateLimiting;
using SocialChat.Realtime.Telemetry;
using SocialChat.Realtime.Resilience;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static void AddRealtimeServices(this IHostApplicationBuilder builder)
    {
        builder.AddSocialChatData();
        builder.AddSocialChatAuthentication();
        builder.AddSocialChatRealtime();

        builder.Services.Configure<HubOptions>(options =>
        {
            options.MaximumReceiveMessageSize = 32 * 1024;
            // Pings every 15 s keep proxies from closing idle sockets; a client silent for 30 s (two missed pings) is gone.
            options.KeepAliveInterval = TimeSpan.FromSeconds(15);
            options.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
            options.EnableDetailedErrors = false;
            options.AddFilter<HubConnectionsMetricFilter>();
            options.AddFilter<UnavailableDependencyFilter>();
            options.AddFilter<SendRateLimitFilter>();
        });
        builder.Services.AddOptions<HubRateLimitOptions>().BindConfiguration(HubRateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<HubCapacityOptions>().BindConfiguration(HubCapacityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SendRateLimitFilter>();
        builder.Services.AddSingleton<HubConnectionsMetricFilter>();
        builder.Services.AddSingleton<UnavailableDependencyFilter>();

        builder.AddSocialChatMessages();
        builder.Services.AddHostedService<ConnectPathWarmUp>();
        builder.Services.AddHostedService<NodeHeartbeat>();
        builder.Services.AddHostedService<AnnouncementListener>();
        builder.Services.AddHostedService<EndedSessionSweep>();
    }

    /// <summary>Before authentication, so that a refused connection costs no token or session check.</summary>
    public static WebApplication UseHubAdmission(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/hubs"), hubs => hubs.UseMiddleware<HubAdmission>());
        return app;
    }

    public static WebApplication MapChatHub(this WebApplication app)
    {
        // WebSockets only: behind nginx's least_conn a connection must be a single request (skipNegotiation),
        // and long polling or server-sent events would need every request to reach the same node.
        app.MapHub<ChatHub>("/hubs/chat", options => options.Transports = HttpTransportType.WebSockets);
        return app;
    }
}
