using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

// One meter and one activity source for the project's own instruments, registered by the service defaults.
public static class SocialChatTelemetry
{
    public const string MeterName = "SocialChat";
    public const string ActivitySourceName = "SocialChat";
    public static readonly Meter Meter = new(MeterName);
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
