using Microsoft.AspNetCore.SignalR.Client;

namespace SocialChat.Tests.Support;

/// <summary>
/// The reconnect policy the README recommends to hub clients. When a node restarts, all of its clients lose
/// their connection in the same instant; each retries at a random moment within the rest of a 30 s window
/// after the drop, so whenever the node is back, the clients still waiting arrive spread evenly over what is
/// left of the window instead of in one burst (a fixed or merely exponential schedule brings them all back in
/// the same second). The window is long enough that a node back within 20 s still sees no second bring more than a
/// tenth of its clients. After the window: every 5–15 s, at random.
/// </summary>
public sealed class JitteredReconnectPolicy : IRetryPolicy
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MinimumDelay = TimeSpan.FromMilliseconds(500);

    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        var left = Window - retryContext.ElapsedTime;
        return left > MinimumDelay
            ? MinimumDelay + (left - MinimumDelay) * Random.Shared.NextDouble()
            : TimeSpan.FromSeconds(5 + (10 * Random.Shared.NextDouble()));
    }
}
