using Microsoft.AspNetCore.SignalR;
using SocialChat.Data.Common;

namespace SocialChat.Realtime.Telemetry;

/// <summary>
/// Keeps <c>socialchat.hub.connections</c> at the number of open connections: one counts once the hub has
/// accepted it, so a connection refused in OnConnectedAsync (too many per user) never moves the gauge.
/// </summary>
internal sealed class HubConnectionsMetricFilter : IHubFilter
{
    private const string CountedKey = "counted-in-hub-connections";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        context.Context.Items[CountedKey] = true;
        SocialChatMetrics.HubConnections.Add(1);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.Items.Remove(CountedKey))
        {
            SocialChatMetrics.HubConnections.Add(-1);
        }

        await next(context, exception);
    }
}
