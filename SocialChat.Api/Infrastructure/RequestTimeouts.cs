using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Options;

namespace SocialChat.Api.Infrastructure;

/// <summary>How long one request may run before it is cancelled and answered 504 problem+json.</summary>
public sealed class RequestTimeoutSettings
{
    public const string SectionName = "RequestTimeouts";

    // Cancels the request's database and Redis calls too, so a stuck dependency cannot pile up waiting requests.
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Default { get; set; } = TimeSpan.FromSeconds(30);
}

internal static class RequestTimeoutExtensions
{
    public static void AddApiRequestTimeouts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestTimeoutSettings>().BindConfiguration(RequestTimeoutSettings.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRequestTimeouts();
        builder.Services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<RequestTimeoutSettings>>((timeouts, settings) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = settings.Value.Default,
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            });
    }
}
