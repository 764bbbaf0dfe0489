using System.Text.Json;
using System.Text.Json.Serialization;

namespace SocialChat.Data.Common;

/// <summary>The JSON shape of the public contract, applied to REST and to the hub's JSON protocol alike.</summary>
public static class ContractJson
{
    public static void Apply(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        // Enums are their names only: a role of 1 is not a contract value, and numbers would tie clients to declaration order.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new UtcDateTimeJsonConverter());
    }
}
