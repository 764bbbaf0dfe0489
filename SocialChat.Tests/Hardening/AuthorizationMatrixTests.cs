using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SocialChat.Data.Auth;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

/// <summary>
/// Who may call what, per API.md: every REST operation in the Api's own OpenAPI document and every ChatHub
/// method has a row; each cell is a caller in a fresh world (a group with an owner, an admin and a member who sent
/// message 1, a post by the owner, and a stranger who is another user and no member) and the status it must get.
/// A route or hub method without a row fails the test, and so does a row without one.
/// </summary>
public sealed class AuthorizationMatrixTests(SocialChatAppFixture fixture)
{
    public enum Caller { Anonymous, AnotherUser, NonMember, Member, Admin, Owner }

    private const int Refused = -1; // a hub call answered with a HubException

    private static readonly Dictionary<string, RestRow> Rest = new[]
    {
        Of("POST /api/v1/auth/register", w => "/api/v1/auth/register", w => new { username = TestUser.UniqueName(), email = $"{Guid.NewGuid():N}@example.com", password = TestUser.DefaultPassword }, (Caller.Anonymous, 201)),
        Of("POST /api/v1/auth/login", w => "/api/v1/auth/login", w => new { login = w.Owner.User.Username, password = TestUser.DefaultPassword }, (Caller.Anonymous, 200)),
        Of("POST /api/v1/auth/refresh", w => "/api/v1/auth/refresh", w => new { refreshToken = w.Owner.Auth.RefreshToken }, (Caller.Anonymous, 200)),
        Of("POST /api/v1/auth/logout", w => "/api/v1/auth/logout", null, (Caller.Anonymous, 401), (Caller.Owner, 204)),
        Of("GET /api/v1/auth/sessions", w => "/api/v1/auth/sessions", null, (Caller.Anonymous, 401), (Caller.Owner, 200)),
        Of("DELETE /api/v1/auth/sessions/{id}", w => $"/api/v1/auth/sessions/{w.OwnerSessionId}", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 404), (Caller.Owner, 204)),

        Of("GET /api/v1/users/me", w => "/api/v1/users/me", null, (Caller.Anonymous, 401), (Caller.Member, 200)),
        Of("PATCH /api/v1/users/me", w => "/api/v1/users/me", w => new { displayName = "Renamed" }, (Caller.Anonymous, 401), (Caller.Member, 200)),
        Of("GET /api/v1/users/{id}", w => $"/api/v1/users/{w.Owner.Id}", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("GET /api/v1/users", w => "/api/v1/users?query=u_", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("POST /api/v1/users/{id}/block", w => $"/api/v1/users/{w.Owner.Id}/block", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("DELETE /api/v1/users/{id}/block", w => $"/api/v1/users/{w.Owner.Id}/block", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("POST /api/v1/users/presence", w => "/api/v1/users/presence", w => new { userIds = new[] { w.Owner.Id } }, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("POST /api/v1/users/{id}/follow", w => $"/api/v1/users/{w.Owner.Id}/follow", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("DELETE /api/v1/users/{id}/follow", w => $"/api/v1/users/{w.Owner.Id}/follow", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("GET /api/v1/users/{id}/followers", w => $"/api/v1/users/{w.Owner.Id}/followers", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("GET /api/v1/users/{id}/following", w => $"/api/v1/users/{w.Owner.Id}/following", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),

        Of("POST /api/v1/conversations/direct", w => "/api/v1/conversations/direct", w => new { userId = w.Owner.Id }, (Caller.Anonymous, 401), (Caller.AnotherUser, 201)),
        Of("POST /api/v1/conversations/groups", w => "/api/v1/conversations/groups", w => new { title = "Another group", memberIds = new[] { w.Owner.Id } }, (Caller.Anonymous, 401), (Caller.AnotherUser, 201)),
        Of("GET /api/v1/conversations", w => "/api/v1/conversations", null, (Caller.Anonymous, 401), (Caller.Member, 200)),
        Of("GET /api/v1/conversations/{id}", w => $"/api/v1/conversations/{w.Group}", null, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 200)),
        Of("PATCH /api/v1/conversations/{id}", w => $"/api/v1/conversations/{w.Group}", w => new { title = "Renamed" }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 403), (Caller.Admin, 200), (Caller.Owner, 200)),
        Of("POST /api/v1/conversations/{id}/members", w => $"/api/v1/conversations/{w.Group}/members", w => new { userIds = new[] { w.Stranger.Id } }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 403), (Caller.Admin, 204), (Caller.Owner, 204)),
        Of("DELETE /api/v1/conversations/{id}/members/{userId}", w => $"/api/v1/conversations/{w.Group}/members/{w.Admin.Id}", null, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 403), (Caller.Admin, 204), (Caller.Owner, 204)),
        Of("PATCH /api/v1/conversations/{id}/members/{userId}", w => $"/api/v1/conversations/{w.Group}/members/{w.Member.Id}", w => new { role = "admin" }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 403), (Caller.Admin, 403), (Caller.Owner, 204)),
        Of("GET /api/v1/conversations/{id}/members", w => $"/api/v1/conversations/{w.Group}/members", null, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 200)),
        Of("GET /api/v1/conversations/{id}/messages", w => $"/api/v1/conversations/{w.Group}/messages", null, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 200)),
        Of("POST /api/v1/conversations/{id}/messages", w => $"/api/v1/conversations/{w.Group}/messages", w => new { clientMessageId = Guid.NewGuid(), body = "hello" }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 201)),
        Of("PATCH /api/v1/conversations/{id}/messages/{seq}", w => $"/api/v1/conversations/{w.Group}/messages/1", w => new { body = "edited" }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Admin, 403), (Caller.Owner, 403), (Caller.Member, 200)),
        Of("DELETE /api/v1/conversations/{id}/messages/{seq}", w => $"/api/v1/conversations/{w.Group}/messages/1", null, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 204), (Caller.Admin, 204), (Caller.Owner, 204)),
        Of("POST /api/v1/conversations/{id}/read", w => $"/api/v1/conversations/{w.Group}/read", w => new { seq = 1 }, (Caller.Anonymous, 401), (Caller.NonMember, 404), (Caller.Member, 204)),

        Of("POST /api/v1/posts", w => "/api/v1/posts", w => new { body = "a post" }, (Caller.Anonymous, 401), (Caller.AnotherUser, 201)),
        Of("GET /api/v1/posts/{id}", w => $"/api/v1/posts/{w.Post}", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("DELETE /api/v1/posts/{id}", w => $"/api/v1/posts/{w.Post}", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 403), (Caller.Owner, 204)),
        Of("GET /api/v1/users/{id}/posts", w => $"/api/v1/users/{w.Owner.Id}/posts", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("POST /api/v1/posts/{id}/like", w => $"/api/v1/posts/{w.Post}/like", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("DELETE /api/v1/posts/{id}/like", w => $"/api/v1/posts/{w.Post}/like", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 204)),
        Of("POST /api/v1/posts/{id}/comments", w => $"/api/v1/posts/{w.Post}/comments", w => new { body = "a comment" }, (Caller.Anonymous, 401), (Caller.AnotherUser, 201)),
        Of("GET /api/v1/posts/{id}/comments", w => $"/api/v1/posts/{w.Post}/comments", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("GET /api/v1/feed", w => "/api/v1/feed", null, (Caller.Anonymous, 401), (Caller.AnotherUser, 200)),
        Of("GET /api/v1/notifications", w => "/api/v1/notifications", null, (Caller.Anonymous, 401), (Caller.Owner, 200)),
        Of("POST /api/v1/notifications/read", w => "/api/v1/notifications/read", w => new { upTo = w.OwnerNotification }, (Caller.Anonymous, 401), (Caller.AnotherUser, 404), (Caller.Owner, 204)),
    }.ToDictionary(r => r.Operation);

    private static readonly Dictionary<string, HubRow> Hub = new[]
    {
        new HubRow("SendMessage", w => [w.Group, Guid.NewGuid(), "hello", null], [(Caller.Anonymous, 401), (Caller.NonMember, Refused), (Caller.Member, 200)]),
        new HubRow("MarkRead", w => [w.Group, 1L], [(Caller.Anonymous, 401), (Caller.NonMember, Refused), (Caller.Member, 200)]),
        new HubRow("Typing", w => [w.Group, true], [(Caller.Anonymous, 401), (Caller.NonMember, Refused), (Caller.Member, 200)]),
        new HubRow("SubscribePresence", w => [new[] { w.Owner.Id }], [(Caller.Anonymous, 401), (Caller.AnotherUser, 200)]),
    }.ToDictionary(r => r.Method);

    [Fact]
    public async Task Every_route_has_a_row_and_every_row_a_route()
    {
        using var client = fixture.CreateHttpClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => $"{method.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();
        var hubMethods = typeof(ChatHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name is not (nameof(Microsoft.AspNetCore.SignalR.Hub.OnConnectedAsync) or nameof(Microsoft.AspNetCore.SignalR.Hub.OnDisconnectedAsync)))
            .Select(m => m.Name).ToHashSet();

        Assert.Empty(operations.Except(Rest.Keys));
        Assert.Empty(Rest.Keys.Except(operations));
        Assert.Empty(hubMethods.Except(Hub.Keys));
        Assert.Empty(Hub.Keys.Except(hubMethods));
    }

    [Fact]
    public async Task Every_caller_gets_the_status_the_contract_gives_them()
    {
        var cells = Rest.Values.SelectMany(row => row.Cells.Select(cell => (Name: row.Operation, cell.Caller, cell.Status, Call: (Func<World, HttpClient, Task<int>>)((world, client) => row.SendAsync(world, client)))))
            .Concat(Hub.Values.SelectMany(row => row.Cells.Select(cell => (Name: $"hub {row.Method}", cell.Caller, cell.Status, Call: (Func<World, HttpClient, Task<int>>)((world, _) => row.InvokeAsync(world, cell.Caller, fixture))))))
            .ToList();

        var mismatches = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(cells, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (cell, _) =>
        {
            // A fresh world per cell: an allowed call may change what the next caller would meet.
            var world = await World.CreateAsync(fixture);
            using var client = world.ClientFor(cell.Caller, fixture);
            var status = await cell.Call(world, client);
            if (status != cell.Status)
            {
                mismatches.Add($"{cell.Name} as {cell.Caller}: expected {cell.Status}, got {status}");
            }
        });

        Assert.True(mismatches.IsEmpty, string.Join("\n", mismatches.Order()));
        TestContext.Current.TestOutputHelper?.WriteLine($"{cells.Count} cells: {Rest.Count} routes, {Hub.Count} hub methods");
    }

    private static RestRow Of(string operation, Func<World, string> path, Func<World, object>? body, params (Caller Caller, int Status)[] cells) =>
        new(operation, path, body, cells);

    private sealed record RestRow(string Operation, Func<World, string> Path, Func<World, object>? Body, (Caller Caller, int Status)[] Cells)
    {
        public async Task<int> SendAsync(World world, HttpClient client)
        {
            var method = new HttpMethod(Operation.Split(' ')[0]);
            using var request = new HttpRequestMessage(method, Path(world));
            if (Body is not null)
            {
                request.Content = JsonContent.Create(Body(world), options: TestJson.Options);
            }

            using var response = await client.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                await ProblemAssert.IsProblemAsync(response, response.StatusCode);
            }

            return (int)response.StatusCode;
        }
    }

    private sealed record HubRow(string Method, Func<World, object?[]> Arguments, (Caller Caller, int Status)[] Cells)
    {
        public async Task<int> InvokeAsync(World world, Caller caller, SocialChatAppFixture fixture)
        {
            HubClient hub;
            try
            {
                hub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime"), caller == Caller.Anonymous ? "" : world.UserFor(caller).AccessToken);
            }
            catch (Exception refused) when (refused.Message.Contains("401", StringComparison.Ordinal))
            {
                return 401;
            }

            await using (hub)
            {
                try
                {
                    await hub.Connection.InvokeCoreAsync(Method, typeof(object), Arguments(world));
                    return 200;
                }
                catch (HubException)
                {
                    return Refused;
                }
            }
        }
    }

    /// <summary>A group (owner, admin, member), message 1 in it from the member, a post by the owner that the admin liked, and a stranger.</summary>
    private sealed record World(TestUser Owner, TestUser Admin, TestUser Member, TestUser Stranger, Guid Group, Guid Post, Guid OwnerSessionId, Guid OwnerNotification)
    {
        public static async Task<World> CreateAsync(SocialChatAppFixture fixture)
        {
            var users = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
            var (owner, admin, member, stranger) = (users[0], users[1], users[2], users[3]);
            var group = await Chat.CreateGroupAsync(owner, admin, member);
            Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PatchJsonAsync($"/api/v1/conversations/{group.Id}/members/{admin.Id}", new { role = "admin" })).StatusCode);
            await Chat.SendAsync(member, group.Id, "message 1");
            var post = await (await owner.Client.PostJsonAsync("/api/v1/posts", new { body = "the owner's post" })).ReadAsync<JsonElement>();
            var postId = post.GetProperty("id").GetGuid();
            Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.PostAsync($"/api/v1/posts/{postId}/like", null)).StatusCode);
            var notifications = await (await owner.Client.GetAsync("/api/v1/notifications")).ReadAsync<JsonElement>();
            var sessions = await (await owner.Client.GetAsync("/api/v1/auth/sessions")).ReadAsync<JsonElement>();
            return new World(owner, admin, member, stranger, group.Id, postId, sessions[0].GetProperty("id").GetGuid(),
                notifications.GetProperty("items")[0].GetProperty("id").GetGuid());
        }

        public TestUser UserFor(Caller caller) => caller switch
        {
            Caller.Owner => Owner,
            Caller.Admin => Admin,
            Caller.Member => Member,
            Caller.AnotherUser or Caller.NonMember => Stranger,
            _ => throw new ArgumentOutOfRangeException(nameof(caller), caller, "Anonymous has no user."),
        };

        public HttpClient ClientFor(Caller caller, SocialChatAppFixture fixture) =>
            caller == Caller.Anonymous ? fixture.CreateHttpClient() : TestUser.Authorized(fixture, UserFor(caller).AccessToken);
    }
}
