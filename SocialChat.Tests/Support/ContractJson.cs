using System.Net.Http.Json;
using System.Text.Json;

namespace SocialChat.Tests.Support;

/// <summary>Reads responses the way a client of the contract does: camelCase, enums as strings.</summary>
public static class TestJson
{
    public static readonly JsonSerializerOptions Options = Create();

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Options) ?? throw new InvalidOperationException($"Empty body: {body}");
    }

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string path, T body) =>
        client.PostAsJsonAsync(path, body, Options);

    public static Task<HttpResponseMessage> PatchJsonAsync<T>(this HttpClient client, string path, T body) =>
        client.PatchAsJsonAsync(path, body, Options);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SocialChat.Data.Common.ContractJson.Apply(options);
        return options;
    }
}
