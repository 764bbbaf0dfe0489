using Microsoft.AspNetCore.SignalR;
using SocialChat.Data.Common;

namespace SocialChat.Realtime.Resilience;

/// <summary>
/// The hub's counterpart of the Api's 503: a call that failed because PostgreSQL or Redis is away answers a
/// HubException saying so, which the client may retry (SendMessage with the same clientMessageId), rather than
/// SignalR's generic "unexpected error". Any other failure is logged as an error, with its exception.
/// </summary>
internal sealed class UnavailableDependencyFilter(ILogger<UnavailableDependencyFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception exception) when (TransientFailures.IsTransient(exception))
        {
            logger.LogWarning("{Method} refused: a dependency is unavailable ({Error})", invocationContext.HubMethodName, exception.GetBaseException().Message);
            throw new HubException($"Temporarily unavailable: {TransientFailures.Detail}");
        }
        catch (Exception exception) when (exception is not HubException and not OperationCanceledException)
        {
            // SignalR logs what it answers "An unexpected error occurred" with at Debug only; this is a bug to see.
            logger.LogError(exception, "{Method} failed unexpectedly", invocationContext.HubMethodName);
            throw;
        }
    }
}
