using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SocialChat.Data.Common;

/// <summary>
/// Opaque keyset cursors: the position of the last item of a page, as base64url JSON. Clients must treat
/// them as opaque; a cursor that does not decode to the expected shape is the caller's error (400), never a 500.
/// </summary>
public static class Cursor
{
    // Every field of a position required and no other accepted: a tampered cursor, or one from another list,
    // is then a 400 rather than a silently wrong page.
    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        Converters = { new UtcOnlyDateTimeConverter(), new TextOnlyStringConverter() },
    };

    public static string Encode<TPosition>(TPosition position) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(position));

    public static bool TryDecode<TPosition>(string? cursor, [NotNullWhen(true)] out TPosition? position)
    {
        position = default;
        if (string.IsNullOrEmpty(cursor))
        {
            return false;
        }

        try
        {
            position = JsonSerializer.Deserialize<TPosition>(Base64Url.DecodeFromChars(cursor), Strict);
            return position is not null;
        }
        catch (Exception exception) when (exception is FormatException or JsonException or NotSupportedException)
        {
            return false;
        }
    }

    // A position's times were written in UTC; one without a zone or with an offset is a forged cursor, and
    // PostgreSQL's timestamptz parameters refuse such a DateTime with an exception, not a 400.
    private sealed class UtcOnlyDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var value = reader.GetDateTime();
            return value.Kind == DateTimeKind.Utc ? value : throw new JsonException("A cursor's time must be in UTC.");
        }

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    // A position's strings were read from PostgreSQL's text; a NUL or half a surrogate pair is a forged cursor, which
    // PostgreSQL (NUL) or the driver's UTF-8 encoding (the half pair) would refuse with an exception, not a 400.
    private sealed class TextOnlyStringConverter : JsonConverter<string>
    {
        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var value = reader.GetString()!;
            try
            {
                StrictUtf8.GetByteCount(value);
            }
            catch (EncoderFallbackException exception)
            {
                throw new JsonException("A cursor's text must be whole characters.", exception);
            }

            return value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException("A cursor's text cannot hold NUL.") : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
