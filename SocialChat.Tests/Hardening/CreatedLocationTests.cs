using System.Text.Json;
using SocialChat.Data.Conversations;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Hardening;

public sealed class CreatedLocationTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Every_location_a_201_gives_can_be_read_by_its_creator()
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var group = await alice.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "locations", memberIds = new[] { bob.Id } });
        var direct = await alice.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = bob.Id });
        var groupId = (await group.ReadAsync<ConversationResponse>()).Id;
        var message = await alice.Client.PostJsonAsync($"/api/v1/conversations/{groupId}/messages", new { clientMessageId = Guid.NewGuid(), body = "hello" });
        var post = await alice.Client.PostJsonAsync("/api/v1/posts", new { body = "a post" });
        var postId = (await post.ReadAsync<JsonElement>()).GetProperty("id").GetString();
        var comment = await alice.Client.PostJsonAsync($"/api/v1/posts/{postId}/comments", new { body = "a comment" });

        var created = new[] { group, direct, message, post, comment };
        Assert.All(created, response => Assert.Equal(HttpStatusCode.Created, response.StatusCode));
        var locations = created.Select(r => r.Headers.Location).OfType<Uri>().ToList();
        Assert.True(locations.Count >= 4, $"{locations.Count} locations");
        foreach (var location in locations)
        {
            Assert.Equal(HttpStatusCode.OK, (await alice.Client.GetAsync(location)).StatusCode);
        }
    }
}
