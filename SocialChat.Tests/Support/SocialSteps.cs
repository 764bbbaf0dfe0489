using SocialChat.Data.Common;
using SocialChat.Data.Notifications;
using SocialChat.Data.Social;

namespace SocialChat.Tests.Support;

public static class SocialSteps
{
    public static async Task<PostResponse> PostAsync(TestUser author, string body) =>
        await (await author.Client.PostJsonAsync("/api/v1/posts", new { body })).ReadAsync<PostResponse>();

    public static async Task FollowAsync(TestUser follower, TestUser followee) =>
        Assert.Equal(HttpStatusCode.NoContent, (await follower.Client.PostAsync($"/api/v1/users/{followee.Id}/follow", null)).StatusCode);

    public static async Task<List<PostResponse>> FeedAsync(TestUser user)
    {
        var posts = new List<PostResponse>();
        string? cursor = null;
        do
        {
            var page = await (await user.Client.GetAsync($"/api/v1/feed?limit=20&cursor={cursor}")).ReadAsync<Page<PostResponse>>();
            posts.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return posts;
    }

    /// <summary>The first page of the user's notifications, newest first.</summary>
    public static async Task<List<NotificationResponse>> NotificationsAsync(TestUser user) =>
        [.. (await (await user.Client.GetAsync("/api/v1/notifications")).ReadAsync<Page<NotificationResponse>>()).Items];

    /// <summary>The notifications once the Worker has written (or marked) whatever should be in them.</summary>
    public static Task<List<NotificationResponse>> NotificationsWhenAsync(TestUser user, Func<List<NotificationResponse>, bool> condition) =>
        Eventually.HoldsAsync(() => NotificationsAsync(user), condition);

    /// <summary>The feed once the Worker has fanned out whatever should be in it.</summary>
    public static Task<List<PostResponse>> FeedWhenAsync(TestUser user, Func<List<PostResponse>, bool> condition, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(() => FeedAsync(user), condition, timeout);
}
