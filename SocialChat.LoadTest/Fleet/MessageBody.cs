using System.Diagnostics;
using System.Globalization;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// A load message carries its step and send time. Stopwatch time is CLOCK_MONOTONIC on Linux, shared by every
/// process on the machine, so a receiver in another worker process measures end-to-end latency directly.
/// </summary>
internal static class MessageBody
{
    private const string Prefix = "lt ";

    public static string Create(int step, long sentTimestamp) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{step} {sentTimestamp}");

    public static bool TryRead(string? body, out int step, out TimeSpan latency)
    {
        step = 0;
        latency = TimeSpan.Zero;
        if (body is null || !body.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = body[Prefix.Length..].Split(' ');
        if (parts.Length != 2
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out step)
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var sent))
        {
            return false;
        }

        latency = Stopwatch.GetElapsedTime(sent);
        return true;
    }
}
