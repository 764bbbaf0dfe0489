using System.Text;
using Aspire.Hosting;
using SocialChat.Tests.Hosting;
using SocialChat.Tests.Reliability;

namespace SocialChat.Tests.Hardening;

/// <summary>
/// Requests the Api cannot bind — a body that is not JSON, a field of the wrong type, no body at all, a query value
/// of the wrong type — answer 400 problem+json with <c>errors</c> under the name the client used, in Development
/// and in Production alike, and say nothing of the Api's own parameter names and types.
/// </summary>
// The Production system is one of its own: with the fault tests, so a loaded machine runs one beside the shared one.
[Collection(FaultTests.Collection)]
public sealed class UnbindableRequestTests(SocialChatAppFixture fixture)
{
    private static readonly string[] InternalNames = ["Nullable", "Int32", "LoginRequest", "request\"", "Service"];

    [Fact]
    public async Task An_unbindable_request_is_a_400_naming_the_field_the_client_got_wrong()
    {
        await AssertEachNamesItsFieldAsync(fixture.App);
    }

    [Fact]
    public async Task In_production_an_unbindable_request_is_the_same_400_naming_the_field()
    {
        await using var app = await SocialChatAppFixture.StartAppAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        });

        await AssertEachNamesItsFieldAsync(app);
    }

    private static async Task AssertEachNamesItsFieldAsync(DistributedApplication app)
    {
        var user = await TestUser.RegisterAsync(app);
        using var anonymous = app.CreateHttpClient("api");
        (string Field, HttpResponseMessage Response)[] answers =
        [
            ("body", await anonymous.PostAsync("/api/v1/auth/login", Json("{"))),
            ("login", await anonymous.PostAsync("/api/v1/auth/login", Json($$"""{"login": 5, "password": "{{user.Password}}"}"""))),
            ("body", await anonymous.PostAsync("/api/v1/auth/login", Json(""))),
            ("limit", await user.Client.GetAsync("/api/v1/conversations?limit=abc")),
        ];

        foreach (var (field, response) in answers)
        {
            await ProblemAssert.IsValidationProblemAsync(response, field);
            var problem = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"type\":", problem);
            Assert.Contains("\"detail\":", problem);
            foreach (var internalName in InternalNames)
            {
                Assert.DoesNotContain(internalName, problem);
            }
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
