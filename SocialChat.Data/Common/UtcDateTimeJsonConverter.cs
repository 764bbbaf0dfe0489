using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SocialChat.Data.Common;

/// <summary>The contract's time format, ISO-8601 UTC with milliseconds: <c>2026-11-24T10:00:00.000Z</c>.</summary>
public sealed class UtcDateTimeJsonConverter : JsonConverter<DateTime>
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTime().ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToUniversalTime().ToString(Format, CultureInfo.InvariantCulture));
}
