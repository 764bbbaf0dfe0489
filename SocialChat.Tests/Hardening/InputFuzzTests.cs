using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

/// <summary>
/// Bad input for every operation in the Api's OpenAPI document, from a fixed seed: malformed JSON, wrong types,
/// nulls, invalid UUIDs, out-of-range limits and seqs, tampered cursors, huge and control-character strings.
/// Each answer must be 4xx problem+json, and none may change what the fuzzing user owns.
/// </summary>
public sealed class InputFuzzTests(SocialChatAppFixture fixture)
{
    private const int Seed = 20261202;
    private const int MaxCasesPerOperation = 24;

    private static readonly string[] BadUuids = ["not-a-uuid", "00000000-0000-0000-0000-00000000000g", "123", "%00", new string('f', 300)];
    private static readonly string[] BadNumbers = ["-1", "0", "101", "99999999999999999999", "abc", "1.5", "-9223372036854775808"];
    private static readonly string[] BadCursors = ["!!!", "eyJ0YW1wZXJlZCI6dHJ1ZX0", "AAAA", new string('A', 2000), "null"];
    private static readonly string[] MalformedBodies = ["{", "[]", "null", "\"text\"", "{\"a\":", "{} {}", "\u0000"];

    // The fields API.md marks optional (`displayName?`, `replyToSeq?` …): null there is a valid "not given".
    private static readonly HashSet<string> OptionalFields = ["displayName", "deviceName", "replyToSeq", "bio", "avatarUrl"];

    [Fact]
    public async Task Bad_input_to_every_operation_gets_a_4xx_problem_and_changes_nothing()
    {
        var fuzzer = await TestUser.RegisterAsync(fixture);
        var other = await TestUser.RegisterAsync(fixture);
        var group = await Chat.CreateGroupAsync(fuzzer, other);
        await Chat.SendAsync(fuzzer, group.Id, "message 1");
        var post = await (await fuzzer.Client.PostJsonAsync("/api/v1/posts", new { body = "a post" })).ReadAsync<JsonElement>();
        var ids = new Dictionary<string, string>
        {
            ["conversations"] = group.Id.ToString(),
            ["posts"] = post.GetProperty("id").GetString()!,
            ["users"] = other.Id.ToString(),
            ["sessions"] = Guid.NewGuid().ToString(),
            ["members"] = other.Id.ToString(),
            ["messages"] = "1",
        };
        var before = await StateAsync(fuzzer, group.Id);

        using var anonymous = fixture.CreateHttpClient();
        using var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        var random = new Random(Seed);
        var summary = new List<string>();
        var failures = new List<string>();
        var tried = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var cases = CasesFor(path.Name, operation.Value, document.RootElement, ids, random).Take(MaxCasesPerOperation).ToList();
                foreach (var (url, body) in cases)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), url);
                    if (body is not null)
                    {
                        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    }

                    using var response = await fuzzer.Client.SendAsync(request);
                    var status = (int)response.StatusCode;
                    if (status is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        failures.Add($"{operation.Name.ToUpperInvariant()} {url} {Shorten(body)} -> {status} {Shorten(await response.Content.ReadAsStringAsync())}");
                    }
                }

                tried += cases.Count;
                summary.Add($"{operation.Name.ToUpperInvariant()} {path.Name}: {cases.Count} cases");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"seed {Seed}, {summary.Count} operations, {tried} cases:\n{string.Join("\n", summary)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await StateAsync(fuzzer, group.Id));
    }

    private static IEnumerable<(string Url, string? Body)> CasesFor(string template, JsonElement operation, JsonElement document, Dictionary<string, string> ids, Random random)
    {
        var valid = Fill(template, ids, badParameter: null, badValue: null);
        var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
        var schema = RequestSchema(operation, document);
        var validBody = schema is null ? null : ValidBody(schema.Value, document);

        foreach (var parameter in parameters.Where(p => p.GetProperty("in").GetString() == "path"))
        {
            var name = parameter.GetProperty("name").GetString()!;
            foreach (var bad in Pick(name == "seq" ? BadNumbers : BadUuids, 2, random))
            {
                yield return (Fill(template, ids, name, bad), validBody?.ToJsonString());
            }
        }

        foreach (var parameter in parameters.Where(p => p.GetProperty("in").GetString() == "query"))
        {
            var name = parameter.GetProperty("name").GetString()!;
            var values = name switch
            {
                "cursor" => BadCursors,
                "limit" or "before" or "after" => BadNumbers.Where(v => name == "limit" || v is not ("0" or "101")).ToArray(),
                _ => [],
            };
            foreach (var bad in Pick(values, 3, random))
            {
                yield return ($"{valid}?{name}={Uri.EscapeDataString(bad)}", null);
            }
        }

        if (schema is null)
        {
            yield break;
        }

        foreach (var malformed in Pick(MalformedBodies, 3, random))
        {
            yield return (valid, malformed);
        }

        foreach (var property in Properties(schema.Value, document))
        {
            foreach (var bad in WrongValues(property.Key, property.Value, document).OrderBy(_ => random.Next()).Take(2))
            {
                var body = validBody!.DeepClone().AsObject();
                body[property.Key] = bad;
                yield return (valid, body.ToJsonString());
            }
        }
    }

    /// <summary>Values of the wrong type, null, or outside the field's rules; none can be a valid input.</summary>
    private static IEnumerable<JsonNode?> WrongValues(string name, JsonElement property, JsonElement document)
    {
        var (type, format) = TypeOf(property, document);
        if (!OptionalFields.Contains(name))
        {
            yield return null;
        }

        switch (type)
        {
            case "string" when format == "uuid":
                yield return JsonValue.Create("not-a-uuid");
                yield return JsonValue.Create(12);
                yield return new JsonObject();
                break;
            case "string":
                yield return JsonValue.Create(new string('x', 20_000));
                yield return JsonValue.Create("\u0000\u0001\u0007\u001b\u001f");
                yield return JsonValue.Create(123);
                yield return new JsonArray();
                break;
            case "integer" or "number":
                yield return JsonValue.Create("seven");
                yield return JsonValue.Create(-1);
                yield return JsonValue.Create(1e300);
                break;
            case "array":
                yield return JsonValue.Create("not a list");
                yield return new JsonArray(JsonValue.Create("not-a-uuid"));
                yield return new JsonObject();
                break;
            default:
                yield return JsonValue.Create("???");
                break;
        }
    }

    private static string Fill(string template, Dictionary<string, string> ids, string? badParameter, string? badValue)
    {
        var segments = template.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith('{'))
            {
                var name = segments[i].Trim('{', '}');
                var resource = segments[i - 1];
                segments[i] = name == badParameter ? Uri.EscapeDataString(badValue!) : ids.GetValueOrDefault(resource, ids["users"]);
            }
        }

        return string.Join('/', segments);
    }

    private static JsonElement? RequestSchema(JsonElement operation, JsonElement document) =>
        operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json)
            ? Resolve(json.GetProperty("schema"), document)
            : null;

    private static IEnumerable<KeyValuePair<string, JsonElement>> Properties(JsonElement schema, JsonElement document) =>
        schema.TryGetProperty("properties", out var properties)
            ? properties.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, Resolve(p.Value, document)))
            : [];

    /// <summary>A body whose every field has a plausible value, so one bad field is what the Api sees.</summary>
    private static JsonObject ValidBody(JsonElement schema, JsonElement document)
    {
        var body = new JsonObject();
        foreach (var (name, property) in Properties(schema, document))
        {
            body[name] = TypeOf(property, document) switch
            {
                ("string", "uuid") => JsonValue.Create(Guid.CreateVersion7()),
                ("integer" or "number", _) => JsonValue.Create(1),
                ("array", _) => new JsonArray(),
                ("boolean", _) => JsonValue.Create(true),
                _ => JsonValue.Create(name.EndsWith("Url", StringComparison.Ordinal) ? "https://example.com/fuzz.png" : "fuzz"),
            };
        }

        return body;
    }

    private static (string? Type, string? Format) TypeOf(JsonElement property, JsonElement document)
    {
        property = Resolve(property, document);
        if (property.TryGetProperty("type", out var type))
        {
            var name = type.ValueKind == JsonValueKind.Array
                ? type.EnumerateArray().Select(t => t.GetString()).First(t => t != "null")
                : type.GetString();
            return (name, property.TryGetProperty("format", out var format) ? format.GetString() : null);
        }

        return (property.TryGetProperty("enum", out _) ? "string" : null, null);
    }

    private static JsonElement Resolve(JsonElement schema, JsonElement document)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return Resolve(document.GetProperty("components").GetProperty("schemas").GetProperty(name), document);
        }

        if (schema.TryGetProperty("oneOf", out var oneOf) || schema.TryGetProperty("anyOf", out oneOf))
        {
            return Resolve(oneOf.EnumerateArray().First(s => !s.TryGetProperty("type", out var t) || t.GetString() != "null"), document);
        }

        return schema;
    }

    private static IEnumerable<string> Pick(string[] values, int count, Random random) => values.OrderBy(_ => random.Next()).Take(count);

    private static string Shorten(string? text) => text is null ? "" : text.Length > 160 ? text[..160] + "…" : text;

    /// <summary>What the fuzzing user owns: their profile and counts, their conversations, the group's members and messages, their posts.</summary>
    private static async Task<string> StateAsync(TestUser user, Guid groupId)
    {
        var parts = await Task.WhenAll(
            user.Client.GetStringAsync("/api/v1/users/me"),
            user.Client.GetStringAsync("/api/v1/conversations"),
            user.Client.GetStringAsync($"/api/v1/conversations/{groupId}/members"),
            user.Client.GetStringAsync($"/api/v1/conversations/{groupId}/messages"),
            user.Client.GetStringAsync($"/api/v1/users/{user.Id}/posts"),
            user.Client.GetStringAsync("/api/v1/auth/sessions"));
        return string.Join("\n", parts.Select(p => System.Text.RegularExpressions.Regex.Replace(p, "\"lastSeenAt\":\"[^\"]*\"", "")));
    }
}
