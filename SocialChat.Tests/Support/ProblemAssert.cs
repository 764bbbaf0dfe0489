using System.Text.Json;

namespace SocialChat.Tests.Support;

public static class ProblemAssert
{
    /// <summary>Asserts the status and that the body is problem+json; returns the parsed problem.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>A 400 whose <c>errors</c> object names each of these fields.</summary>
    public static async Task IsValidationProblemAsync(HttpResponseMessage response, params string[] fields)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors), $"no errors object in {problem}");
        foreach (var field in fields)
        {
            Assert.True(errors.TryGetProperty(field, out var messages) && messages.GetArrayLength() > 0, $"no error for '{field}' in {errors}");
        }
    }

    /// <summary>Every answer has one of these statuses; an error is problem+json. Fails naming the first other answer.</summary>
    public static async Task AnsweredAsync(IEnumerable<HttpResponseMessage> responses, params HttpStatusCode[] allowed)
    {
        foreach (var response in responses)
        {
            Assert.True(allowed.Contains(response.StatusCode), $"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {await response.Content.ReadAsStringAsync()}");
            if ((int)response.StatusCode >= 400)
            {
                await IsProblemAsync(response, response.StatusCode);
            }
        }
    }
}
