using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using SocialChat.Data.Common;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Social;
using SocialChat.Tests.Hosting;
using StackExchange.Redis;

namespace SocialChat.Tests.Social;

public sealed class FeedTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_follow_brings_the_followees_posts_from_then_on_and_an_unfollow_takes_them_all_away()
    {
        var reader = await TestUser.RegisterAsync(fixture);
        var author = await TestUser.RegisterAsync(fixture);
        var before = await SocialSteps.PostAsync(author, "before the follow");
        var own = await SocialSteps.PostAsync(reader, "my own post");
        Assert.Equal([own.Id], (await SocialSteps.FeedAsync(reader)).Select(p => p.Id));

        await SocialSteps.FollowAsync(reader, author);
        var after = await SocialSteps.PostAsync(author, "after the follow");

        var feed = await SocialSteps.FeedWhenAsync(reader, f => f.Any(p => p.Id == after.Id));
        Assert.Equal([after.Id, own.Id], feed.Select(p => p.Id));
        Assert.DoesNotContain(feed, p => p.Id == before.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await reader.Client.DeleteAsync($"/api/v1/users/{author.Id}/follow")).StatusCode);
        Assert.Equal([own.Id], (await SocialSteps.FeedAsync(reader)).Select(p => p.Id));
    }

    /// <summary>
    /// The Worker's fan-out adds a post to the timelines a moment after it is written; the author's own has it at once.
    /// Three posts, each read the moment it is written, so that the fan-out does not get there first by chance.
    /// </summary>
    [Fact]
    public async Task An_authors_new_post_is_in_their_built_feed_at_once()
    {
        var author = await TestUser.RegisterAsync(fixture);
        Assert.Empty(await SocialSteps.FeedAsync(author));

        foreach (var body in new[] { "first", "second", "third" })
        {
            var post = await SocialSteps.PostAsync(author, body);
            Assert.Equal(post.Id, (await SocialSteps.FeedAsync(author)).First().Id);
        }
    }

    /// <summary>
    /// A reader's timeline is rebuilt from PostgreSQL when it is missing (a first read, or Redis lost it). A followee's
    /// post fanned out while that rebuild runs lands in it all the same. The rebuild runs in the test's own process,
    /// held once PostgreSQL has answered its read, from before the post; a second follower, whose timeline is built,
    /// shows when the fan-out has run.
    /// </summary>
    [Fact]
    public async Task A_post_fanned_out_while_the_readers_timeline_is_rebuilt_is_in_it()
    {
        var (reader, control, author) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        await SocialSteps.FollowAsync(reader, author);
        await SocialSteps.FollowAsync(control, author);
        Assert.Empty(await SocialSteps.FeedAsync(control));
        using var host = await InProcessServices.BuildAsync(fixture);
        // The reader's follows, then the rebuild's read.
        var heldRebuild = new HeldQueryAnswer(queryToHold: 2);
        await using var db = heldRebuild.Open(host.Services.GetRequiredService<DbContextOptions<SocialDbContext>>());
        var feed = new HomeFeed(db, host.Services.GetRequiredService<TimelineStore>(), host.Services.GetRequiredService<IOptions<SocialOptions>>());

        var rebuilding = feed.ReadAsync(reader.Id, cursor: null, limit: null, TestContext.Current.CancellationToken);
        await heldRebuild.Answered.WaitAsync(TestContext.Current.CancellationToken);
        var post = await SocialSteps.PostAsync(author, "fanned out while the reader's timeline is rebuilt");
        await SocialSteps.FeedWhenAsync(control, f => f.Any(p => p.Id == post.Id));
        heldRebuild.Release();
        await rebuilding;

        Assert.Equal([post.Id], (await SocialSteps.FeedAsync(reader)).Select(p => p.Id));
    }

    [Fact]
    public async Task A_deleted_post_leaves_every_feed()
    {
        var reader = await TestUser.RegisterAsync(fixture);
        var author = await TestUser.RegisterAsync(fixture);
        await SocialSteps.FollowAsync(reader, author);
        var post = await SocialSteps.PostAsync(author, "soon gone");
        await SocialSteps.FeedWhenAsync(reader, f => f.Any(p => p.Id == post.Id));

        await ProblemAssert.IsProblemAsync(await reader.Client.DeleteAsync($"/api/v1/posts/{post.Id}"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await author.Client.DeleteAsync($"/api/v1/posts/{post.Id}")).StatusCode);

        Assert.Empty(await SocialSteps.FeedAsync(reader));
        Assert.Empty(await SocialSteps.FeedAsync(author));
        await ProblemAssert.IsProblemAsync(await reader.Client.GetAsync($"/api/v1/posts/{post.Id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Blocking_ends_the_follow_both_ways_and_prevents_a_new_one()
    {
        var blocker = await TestUser.RegisterAsync(fixture);
        var blocked = await TestUser.RegisterAsync(fixture);
        await SocialSteps.FollowAsync(blocker, blocked);
        await SocialSteps.FollowAsync(blocked, blocker);
        await SocialSteps.PostAsync(blocker, "visible before the block");

        await blocker.Client.PostAsync($"/api/v1/users/{blocked.Id}/block", null);

        await ProblemAssert.IsProblemAsync(await blocked.Client.PostAsync($"/api/v1/users/{blocker.Id}/follow", null), HttpStatusCode.Forbidden);
        Assert.Empty(await SocialSteps.FeedAsync(blocked));
        var profile = await (await blocker.Client.GetAsync($"/api/v1/users/{blocker.Id}")).ReadAsync<SocialChat.Data.Users.UserResponse>();
        Assert.Equal((0, 0), (profile.FollowerCount, profile.FollowingCount));
    }

    [Fact]
    public async Task Posts_of_popular_authors_are_merged_in_at_read_time()
    {
        // The test settings make 3 followers "popular": this author's posts are not fanned out.
        var author = await TestUser.RegisterAsync(fixture);
        var readers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        foreach (var reader in readers)
        {
            await SocialSteps.FollowAsync(reader, author);
            await SocialSteps.FeedAsync(reader);
        }

        var post = await SocialSteps.PostAsync(author, "from a popular author");

        foreach (var reader in readers)
        {
            Assert.Equal([post.Id], (await SocialSteps.FeedAsync(reader)).Select(p => p.Id));
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.GetConnectionStringAsync("cache"))!);
        await Task.Delay(500);
        Assert.Null(await redis.GetDatabase().SortedSetRankAsync($"timeline:{readers[0].Id:N}", post.Id.ToString("N")));
    }

    [Fact]
    public async Task A_post_written_while_its_author_was_popular_stays_in_the_feeds_of_followers_after_the_author_is_no_longer_popular()
    {
        // The test settings make 3 followers "popular": this author's post is not fanned out.
        var author = await TestUser.RegisterAsync(fixture);
        var readers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestUser.RegisterAsync(fixture)));
        foreach (var reader in readers)
        {
            await SocialSteps.FollowAsync(reader, author);
            await SocialSteps.FeedAsync(reader);
        }

        var post = await SocialSteps.PostAsync(author, "written while popular");
        await OutboxHasNoJobForAsync(post.Id);

        // One unfollow takes the author below the threshold.
        Assert.Equal(HttpStatusCode.NoContent, (await readers[2].Client.DeleteAsync($"/api/v1/users/{author.Id}/follow")).StatusCode);

        foreach (var reader in readers[..2])
        {
            Assert.Equal([post.Id], (await SocialSteps.FeedAsync(reader)).Select(p => p.Id));
        }

        Assert.Equal([post.Id], (await SocialSteps.FeedAsync(author)).Select(p => p.Id));
        Assert.Empty(await SocialSteps.FeedAsync(readers[2]));
    }

    [Fact]
    public async Task After_unfollowing_a_prolific_author_a_page_is_empty_only_at_the_end_of_the_feed()
    {
        var reader = await TestUser.RegisterAsync(fixture);
        var author = await TestUser.RegisterAsync(fixture);
        var own = await SocialSteps.PostAsync(reader, "my own post");
        await SocialSteps.FollowAsync(reader, author);
        for (var i = 0; i < 25; i++)
        {
            await SocialSteps.PostAsync(author, $"post {i}");
        }

        await SocialSteps.FeedWhenAsync(reader, f => f.Count == 26);
        Assert.Equal(HttpStatusCode.NoContent, (await reader.Client.DeleteAsync($"/api/v1/users/{author.Id}/follow")).StatusCode);

        // The timeline still holds the 25 posts above the reader's own; the page reads past them.
        var page = await (await reader.Client.GetAsync("/api/v1/feed?limit=20")).ReadAsync<Page<PostResponse>>();

        Assert.Equal([own.Id], page.Items.Select(p => p.Id));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task A_timeline_lost_in_redis_is_rebuilt_from_postgresql()
    {
        var reader = await TestUser.RegisterAsync(fixture);
        var author = await TestUser.RegisterAsync(fixture);
        await SocialSteps.FollowAsync(reader, author);
        var posts = new List<PostResponse>();
        for (var i = 0; i < 5; i++)
        {
            posts.Add(await SocialSteps.PostAsync(author, $"post {i}"));
        }

        await SocialSteps.FeedWhenAsync(reader, f => f.Count == 5);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.GetConnectionStringAsync("cache"))!))
        {
            Assert.True(await redis.GetDatabase().KeyDeleteAsync($"timeline:{reader.Id:N}"));
        }

        var rebuilt = await SocialSteps.FeedAsync(reader);

        Assert.Equal(posts.Select(p => p.Id).Reverse(), rebuilt.Select(p => p.Id));
    }

    [Fact]
    public async Task The_feed_pages_newest_first_without_repeats()
    {
        var reader = await TestUser.RegisterAsync(fixture);
        var posts = new List<PostResponse>();
        for (var i = 0; i < 45; i++)
        {
            posts.Add(await SocialSteps.PostAsync(reader, $"post {i}"));
        }

        var feed = await SocialSteps.FeedAsync(reader);

        Assert.Equal(posts.Select(p => p.Id).Reverse(), feed.Select(p => p.Id));
    }

    /// <summary>The Worker has fanned the post out, or had nothing to do for it.</summary>
    private async Task OutboxHasNoJobForAsync(Guid postId)
    {
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("socialdb"));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM fan_out_jobs WHERE post_id = $1", connection) { Parameters = { new() { Value = postId } } };
        var jobs = await Eventually.HoldsAsync(async () => (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!, n => n == 0);
        Assert.Equal(0, jobs);
    }
}
