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
        builder.Services.AddSingleton<SendRateLimitFilter>();
        builder.Services.AddSingleton<HubConnectionsMetricFilter>();
        builder.Services.AddSingleton<UnavailableDependencyFilter>();

        builder.AddSocialChatMessages();
        builder.Services.AddHostedService<ConnectPathWarmUp>();
        builder.Services.AddHostedService<NodeHeartbeat>();
        builder.Services.AddHostedService<SessionRevocationListener>();
    }

    public static WebApplication MapChatHub(this WebApplication app)
    {
        // WebSockets only: behind nginx's least_conn a connection must be a single request (skipNegotiation),
        // and long polling or server-sent events would need every request to reach the same node.
        // A stopping node has closed its connections, and one it accepted now would be dropped again a moment later:
        // it refuses them with a 503, so the client's reconnect policy tries again, on another node or this one restarted.
        var stopping = app.Lifetime.ApplicationStopping;
        app.Use((context, next) => stopping.IsCancellationRequested && context.Request.Path.StartsWithSegments("/hubs")
            ? TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "This node is stopping", detail: "Reconnect; another node or this one restarted will take the connection.").ExecuteAsync(context)
            : next(context));
        app.MapHub<ChatHub>("/hubs/chat", options => options.Transports = HttpTransportType.WebSockets);
        return app;
    }
}
