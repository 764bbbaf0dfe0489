using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Social;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Social;

/// <summary>
/// Clients retry, double-tap and run several devices, so the same follow, like or comment arrives many times at
/// once. Whatever the interleaving, each answer is one the contract allows and the counters equal the lists.
/// </summary>
public sealed class SocialRaceTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Two_users_following_and_unfollowing_each_other_at_once_keep_counts_equal_to_the_lists()
    {
        var pairs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ => new[] { await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture) }));

        var responses = await Task.WhenAll(pairs.SelectMany(pair => Enumerable.Range(0, 20).Select(i =>
        {
            var (user, other) = i % 4 < 2 ? (pair[0], pair[1]) : (pair[1], pair[0]);
            var path = $"/api/v1/users/{other.Id}/follow";
            return i % 2 == 0 ? user.Client.PostAsync(path, null) : user.Client.DeleteAsync(path);
        })));

        await ProblemAssert.AnsweredAsync(responses, HttpStatusCode.NoContent);
        foreach (var user in pairs.SelectMany(pair => pair))
        {
            var profile = await (await user.Client.GetAsync($"/api/v1/users/{user.Id}")).ReadAsync<UserResponse>();
            Assert.Equal((await ListAsync(user, "followers")).Count, profile.FollowerCount);
            Assert.Equal((await ListAsync(user, "following")).Count, profile.FollowingCount);
        }
    }

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

    [Fact]
    public async Task Likes_and_comments_racing_the_posts_deletion_answer_404_once_it_is_gone_never_500()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var fans = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestUser.RegisterAsync(fixture)));
        var posts = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => SocialSteps.PostAsync(author, $"short-lived {i}")));

        var responses = await Task.WhenAll(posts.SelectMany(post => fans.SelectMany(fan => Enumerable.Range(0, 3).SelectMany(i => new[]
            {
                fan.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = $"comment {i}" }),
                fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null),
            }))
            .Append(author.Client.DeleteAsync($"/api/v1/posts/{post.Id}"))));

        await ProblemAssert.AnsweredAsync(responses, HttpStatusCode.NoContent, HttpStatusCode.Created, HttpStatusCode.NotFound);
        foreach (var post in posts)
        {
            await ProblemAssert.IsProblemAsync(await fans[0].Client.GetAsync($"/api/v1/posts/{post.Id}"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await fans[0].Client.GetAsync($"/api/v1/posts/{post.Id}/comments"), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task A_post_deleted_twice_at_once_answers_204_then_404_never_500()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var post = await SocialSteps.PostAsync(author, "delete me twice");
        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // Both deletions have found the post and wait on its row; the first to go on deletes it.
        HttpResponseMessage[] answers;
        await using (var hold = await LockWaits.HoldRowAsync(database, "posts", post.Id))
        {
            var deletions = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => author.Client.DeleteAsync($"/api/v1/posts/{post.Id}")));
            await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 2);
            await hold.RollbackAsync();
            answers = await deletions;
        }

        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.NotFound], answers.Select(a => a.StatusCode).Order());
        await ProblemAssert.IsProblemAsync(answers.Single(a => a.StatusCode == HttpStatusCode.NotFound), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await author.Client.GetAsync($"/api/v1/posts/{post.Id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_block_answers_only_once_the_blocked_users_like_and_comment_in_flight_have_landed()
    {
        var (author, fan) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var post = await SocialSteps.PostAsync(author, "like me while I block you");
        await using var database = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await database.OpenAsync();

        // The like and the comment have passed their block checks and wait on the post's row to write; the block
        // comes then.
        await using var hold = await LockWaits.HoldRowAsync(database, "posts", post.Id);
        var like = fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null);
        var comment = fan.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = "before the block" });
        await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 2);
        var block = author.Client.PostAsync($"/api/v1/users/{fan.Id}/block", null);
        // Until the block waits behind them, or has answered (the failure): on a busy machine its request can take seconds to arrive.
        var waitingBehind = await Eventually.HoldsAsync(() => LockWaits.WaitingOnAsync(database, hold), waiting => waiting == 3 || block.IsCompleted);
        var answeredBeforeThem = block.IsCompleted;
        await hold.RollbackAsync();

        // Had the block answered first, the like and comment landing after it would reach the author from someone
        // they had blocked.
        Assert.False(answeredBeforeThem, "The block answered while the blocked user's like and comment were still to land.");
        Assert.Equal(3, waitingBehind);
        Assert.Equal(HttpStatusCode.NoContent, (await like).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await comment).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await block).StatusCode);
        await ProblemAssert.IsProblemAsync(await fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Once_a_block_has_answered_the_blocked_user_follows_nobody_of_the_pair_whatever_raced_it()
    {
        var pairs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ => (Blocker: await TestUser.RegisterAsync(fixture), Blocked: await TestUser.RegisterAsync(fixture))));

        var responses = await Task.WhenAll(pairs.SelectMany(pair => Enumerable.Range(0, 20).Select(i => i switch
        {
            10 => pair.Blocker.Client.PostAsync($"/api/v1/users/{pair.Blocked.Id}/block", null),
            _ when i % 3 == 0 => pair.Blocker.Client.PostAsync($"/api/v1/users/{pair.Blocked.Id}/follow", null),
            _ => pair.Blocked.Client.PostAsync($"/api/v1/users/{pair.Blocker.Id}/follow", null),
        })));

        await ProblemAssert.AnsweredAsync(responses, HttpStatusCode.NoContent, HttpStatusCode.Forbidden);
        foreach (var (blocker, blocked) in pairs)
        {
            Assert.Empty(await ListAsync(blocked, "following"));
            Assert.Empty(await ListAsync(blocker, "following"));
            var blockerProfile = await (await blocker.Client.GetAsync($"/api/v1/users/{blocker.Id}")).ReadAsync<UserResponse>();
            Assert.Equal((0, 0), (blockerProfile.FollowerCount, blockerProfile.FollowingCount));
        }
    }

    private static async Task<IReadOnlyList<UserResponse>> ListAsync(TestUser user, string relation) =>
        (await (await user.Client.GetAsync($"/api/v1/users/{user.Id}/{relation}?limit=100")).ReadAsync<Page<UserResponse>>()).Items;
}
