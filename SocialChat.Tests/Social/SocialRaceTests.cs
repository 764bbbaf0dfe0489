using SocialChat.Data.Common;
using SocialChat.Data.Social;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Social;

/// <summary>
/// Clients retry, double-tap and run several devices, so the same follow, like or comment arrives many times at
/// once. Whatever the interleaving, each answer is one the contract allows and the counters equal the lists.
/// </summary>
public sealed class SocialRaceTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Likes_unlikes_and_comments_at_once_count_exactly_what_is_stored()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var post = await SocialSteps.PostAsync(author, "race me");
        var fans = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));

        var responses = await Task.WhenAll(fans.SelectMany(fan => Enumerable.Range(0, 5).SelectMany(i => new[]
        {
            i % 2 == 0 ? fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null) : fan.Client.DeleteAsync($"/api/v1/posts/{post.Id}/like"),
            fan.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = $"comment {i}" }),
        })));

        await ProblemAssert.AnsweredAsync(responses, HttpStatusCode.NoContent, HttpStatusCode.Created);
        var likedBy = 0;
        foreach (var fan in fans)
        {
            likedBy += (await (await fan.Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>()).LikedByMe ? 1 : 0;
        }

        var seen = await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>();
        var comments = await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}/comments?limit=100")).ReadAsync<Page<CommentResponse>>();
        Assert.Equal(likedBy, seen.LikeCount);
        Assert.Equal(20, comments.Items.Count);
        Assert.Equal(20, seen.CommentCount);
    }
}
