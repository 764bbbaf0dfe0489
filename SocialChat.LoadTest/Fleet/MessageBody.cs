using System.Buffers.Text;
using System.Globalization;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// A load message carries its step and send time. Stopwatch time is CLOCK_MONOTONIC on Linux, shared by every
/// process on the machine, so a receiver in another worker process measures end-to-end latency directly.
/// </summary>
internal static class MessageBody
{
    public static string Create(int step, long sentTimestamp) => string.Create(CultureInfo.InvariantCulture, $"lt {step} {sentTimestamp}");

    /// <summary>The step and send time of a load message's body (UTF-8); (0, 0) for any other body.</summary>
    public static (int Step, long SentTimestamp) Read(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith("lt "u8)
            || !Utf8Parser.TryParse(body[3..], out int step, out var stepLength)
            || body.Length < 3 + stepLength + 2
            || body[3 + stepLength] != (byte)' '
            || !Utf8Parser.TryParse(body[(4 + stepLength)..], out long sent, out var sentLength)
            || 4 + stepLength + sentLength != body.Length)
        {
            return (0, 0);
        }

        return (step, sent);
    }
}
