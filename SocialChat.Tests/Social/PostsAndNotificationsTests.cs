using SocialChat.Data.Common;
using SocialChat.Data.Notifications;
using SocialChat.Data.Social;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Social;

public sealed class PostsAndNotificationsTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task Fifty_concurrent_likes_count_exactly_and_likes_are_idempotent()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var post = await SocialSteps.PostAsync(author, "like me");
        var fans = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => TestUser.RegisterAsync(fixture)));

        await Task.WhenAll(fans.SelectMany(fan => new[] { fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null), fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null) }));

        Assert.Equal(50, (await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>()).LikeCount);
        await fans[0].Client.DeleteAsync($"/api/v1/posts/{post.Id}/like");
        await fans[0].Client.DeleteAsync($"/api/v1/posts/{post.Id}/like");
        var seenByFan = await (await fans[0].Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>();
        var seenByOther = await (await fans[1].Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>();
        Assert.Equal(49, seenByFan.LikeCount);
        Assert.False(seenByFan.LikedByMe);
        Assert.True(seenByOther.LikedByMe);
    }

    [Fact]
    public async Task Follow_counts_stay_exact_and_lists_show_who_follows_whom()
    {
        var star = await TestUser.RegisterAsync(fixture);
        var followers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => TestUser.RegisterAsync(fixture)));

        await Task.WhenAll(followers.SelectMany(f => new[] { f.Client.PostAsync($"/api/v1/users/{star.Id}/follow", null), f.Client.PostAsync($"/api/v1/users/{star.Id}/follow", null) }));

        var profile = await (await star.Client.GetAsync($"/api/v1/users/{star.Id}")).ReadAsync<UserResponse>();
        Assert.Equal(5, profile.FollowerCount);
        var listed = await (await star.Client.GetAsync($"/api/v1/users/{star.Id}/followers?limit=3")).ReadAsync<Page<UserResponse>>();
        var rest = await (await star.Client.GetAsync($"/api/v1/users/{star.Id}/followers?limit=3&cursor={listed.NextCursor}")).ReadAsync<Page<UserResponse>>();
        Assert.Equal(followers.Select(f => f.Id).Order(), listed.Items.Concat(rest.Items).Select(u => u.Id).Order());
        var following = await (await followers[0].Client.GetAsync($"/api/v1/users/{followers[0].Id}/following")).ReadAsync<Page<UserResponse>>();
        Assert.Equal(star.Id, Assert.Single(following.Items).Id);
        await ProblemAssert.IsProblemAsync(await star.Client.PostAsync($"/api/v1/users/{star.Id}/follow", null), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await star.Client.PostAsync($"/api/v1/users/{Guid.NewGuid()}/follow", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Comments_list_oldest_first_and_bodies_are_checked()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var post = await SocialSteps.PostAsync(author, "discuss");
        for (var i = 0; i < 3; i++)
        {
            await author.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = $"comment {i}" });
        }

        var first = await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}/comments?limit=2")).ReadAsync<Page<CommentResponse>>();
        var second = await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}/comments?limit=2&cursor={first.NextCursor}")).ReadAsync<Page<CommentResponse>>();

        Assert.Equal(["comment 0", "comment 1", "comment 2"], first.Items.Concat(second.Items).Select(c => c.Body));
        Assert.Equal(3, (await (await author.Client.GetAsync($"/api/v1/posts/{post.Id}")).ReadAsync<PostResponse>()).CommentCount);
        await ProblemAssert.IsValidationProblemAsync(await author.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = new string('c', 1001) }), "body");
        await ProblemAssert.IsValidationProblemAsync(await author.Client.PostJsonAsync("/api/v1/posts", new { body = new string('p', 2001) }), "body");
        await ProblemAssert.IsValidationProblemAsync(await author.Client.PostJsonAsync("/api/v1/posts", new { body = "  " }), "body");
        await ProblemAssert.IsValidationProblemAsync(await author.Client.PostJsonAsync("/api/v1/posts", new { body = "bell\u0007" }), "body");
        await ProblemAssert.IsValidationProblemAsync(await author.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = "nul\u0000" }), "body");
        await ProblemAssert.IsProblemAsync(await author.Client.PostJsonAsync($"/api/v1/posts/{Guid.NewGuid()}/comments", new { body = "x" }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Notifications_are_stored_pushed_live_and_marked_read_but_never_for_ones_own_actions()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var fan = await TestUser.RegisterAsync(fixture);
        await using var authorHub = await HubClient.ConnectAsync(fixture.GetEndpoint("realtime", 1), author.AccessToken);
        var post = await SocialSteps.PostAsync(author, "hello");
        await author.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null);

        await SocialSteps.FollowAsync(fan, author);
        await fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null);
        await fan.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = $"nice, @{author.User.Username}" });

        var pushed = await authorHub.WaitForAsync<NotificationResponse>("Notification", n => n.Kind == NotificationKind.Comment);
        Assert.Equal(fan.Id, pushed.Actor.Id);
        var listed = await SocialSteps.NotificationsAsync(author);
        Assert.Equal([NotificationKind.Mention, NotificationKind.Comment, NotificationKind.Like, NotificationKind.Follow], listed.Select(n => n.Kind));
        Assert.All(listed, n => Assert.Equal(fan.Id, n.Actor.Id));
        Assert.All(listed, n => Assert.Null(n.ReadAt));
        Assert.Equal(post.Id, listed[2].PostId);
        Assert.Null(listed[3].PostId);

        Assert.Equal(HttpStatusCode.NoContent, (await author.Client.PostJsonAsync("/api/v1/notifications/read", new { upTo = listed[1].Id })).StatusCode);
        var afterRead = await SocialSteps.NotificationsAsync(author);
        Assert.Equal([false, true, true, true], afterRead.Select(n => n.ReadAt is not null));
        await ProblemAssert.IsProblemAsync(await fan.Client.PostJsonAsync("/api/v1/notifications/read", new { upTo = listed[0].Id }), HttpStatusCode.NotFound);
        Assert.Empty(await SocialSteps.NotificationsAsync(fan));
    }

    [Fact]
    public async Task A_like_or_follow_taken_back_leaves_the_list_and_one_given_again_is_listed_once()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var fan = await TestUser.RegisterAsync(fixture);
        var post = await SocialSteps.PostAsync(author, "like me, or not");
        await SocialSteps.FollowAsync(fan, author);
        Assert.Equal(HttpStatusCode.NoContent, (await fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await fan.Client.DeleteAsync($"/api/v1/posts/{post.Id}/like")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fan.Client.DeleteAsync($"/api/v1/users/{author.Id}/follow")).StatusCode);
        Assert.Empty(await SocialSteps.NotificationsAsync(author));

        await SocialSteps.FollowAsync(fan, author);
        Assert.Equal(HttpStatusCode.NoContent, (await fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null)).StatusCode);
        Assert.Equal([NotificationKind.Like, NotificationKind.Follow], (await SocialSteps.NotificationsAsync(author)).Select(n => n.Kind));
    }

    [Fact]
    public async Task Notifications_about_a_post_go_from_the_list_when_the_post_is_deleted()
    {
        var author = await TestUser.RegisterAsync(fixture);
        var fan = await TestUser.RegisterAsync(fixture);
        await SocialSteps.FollowAsync(fan, author);
        var deleted = await SocialSteps.PostAsync(author, "soon gone");
        var kept = await SocialSteps.PostAsync(author, "here to stay");
        foreach (var post in new[] { deleted, kept })
        {
            await fan.Client.PostAsync($"/api/v1/posts/{post.Id}/like", null);
            await fan.Client.PostJsonAsync($"/api/v1/posts/{post.Id}/comments", new { body = $"@{author.User.Username} yes" });
        }

        Assert.Equal(HttpStatusCode.NoContent, (await author.Client.DeleteAsync($"/api/v1/posts/{deleted.Id}")).StatusCode);

        var listed = await SocialSteps.NotificationsAsync(author);
        Assert.Equal([NotificationKind.Mention, NotificationKind.Comment, NotificationKind.Like, NotificationKind.Follow], listed.Select(n => n.Kind));
        Assert.All(listed.Take(3), n => Assert.Equal(kept.Id, n.PostId));
    }

    [Fact]
    public async Task A_block_refuses_likes_and_comments_either_way_and_mentions_across_it_notify_nobody()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        var blockersPost = await SocialSteps.PostAsync(blocker, "mine");
        var blockedsPost = await SocialSteps.PostAsync(blocked, "theirs");
        Assert.Equal(HttpStatusCode.NoContent, (await blocked.Client.PostAsync($"/api/v1/posts/{blockersPost.Id}/like", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null)).StatusCode);

        var refused = new[]
        {
            await blocked.Client.PostAsync($"/api/v1/posts/{blockersPost.Id}/like", null),
            await blocked.Client.PostJsonAsync($"/api/v1/posts/{blockersPost.Id}/comments", new { body = "let me in" }),
            await blocker.Client.PostAsync($"/api/v1/posts/{blockedsPost.Id}/like", null),
            await blocker.Client.PostJsonAsync($"/api/v1/posts/{blockedsPost.Id}/comments", new { body = "and stay out" }),
        };
        var mentionPost = await SocialSteps.PostAsync(blocked, $"hey @{blocker.User.Username}");

        await ProblemAssert.AnsweredAsync(refused, HttpStatusCode.Forbidden);
        var post = await (await blocker.Client.GetAsync($"/api/v1/posts/{blockersPost.Id}")).ReadAsync<PostResponse>();
        Assert.Equal((1, 0), (post.LikeCount, post.CommentCount));
        Assert.Equal(0, (await (await blocked.Client.GetAsync($"/api/v1/posts/{blockedsPost.Id}")).ReadAsync<PostResponse>()).CommentCount);
        Assert.Equal($"hey @{blocker.User.Username}", mentionPost.Body);
        // The like from before the block stays, with its notification; nothing after it reached the blocker.
        Assert.Equal([NotificationKind.Like], (await SocialSteps.NotificationsAsync(blocker)).Select(n => n.Kind));
        Assert.Empty(await SocialSteps.NotificationsAsync(blocked));

        Assert.Equal(HttpStatusCode.NoContent, (await blocker.Client.DeleteAsync($"/api/v1/users/{blocked.Id}/block")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await blocked.Client.PostJsonAsync($"/api/v1/posts/{blockersPost.Id}/comments", new { body = "thanks" })).StatusCode);
    }
}
