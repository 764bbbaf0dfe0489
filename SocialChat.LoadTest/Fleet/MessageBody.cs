using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// A load message carries its step and send time. Stopwatch time is CLOCK_MONOTONIC on Linux, shared by every
/// process on the machine, so a receiver in another worker process measures end-to-end latency directly.
/// </summary>
internal static class MessageBody
{
    private const string Prefix = "lt ";

    public static string Create(int step, long sentTimestamp) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{step} {sentTimestamp}");

    /// <summary>The step and send time of a load message's body (UTF-8); (0, 0) for any other body.</summary>
    public static (int Step, long SentTimestamp) Read(ReadOnlySpan<byte> body)
    {
        if (body.Length < Prefix.Length || !Ascii.Equals(body[..Prefix.Length], Prefix))
        {
            return (0, 0);
        }

        var fields = body[Prefix.Length..];
        var space = fields.IndexOf((byte)' ');
        if (space < 0
            || !Utf8Parser.TryParse(fields[..space], out int step, out var stepLength) || stepLength != space
            || !Utf8Parser.TryParse(fields[(space + 1)..], out long sent, out var sentLength) || sentLength != fields.Length - space - 1)
        {
            return (0, 0);
        }

        return (step, sent);
    }
}
