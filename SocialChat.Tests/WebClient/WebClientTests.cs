using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SocialChat.Data.Conversations;
using SocialChat.Data.Notifications;
using SocialChat.Tests.Hosting;
using static Microsoft.Playwright.Assertions;

namespace SocialChat.Tests.WebClient;

/// <summary>The web client at /app in a real headless Chromium: two people, each in a browser context of their own.</summary>
public sealed partial class WebClientTests(SocialChatAppFixture fixture)
{
    private Uri AppUrl => new(fixture.GetEndpoint("api"), "/app/");

    [Fact]
    public async Task Two_people_chat_see_typing_receipts_presence_and_a_reopened_page_catches_up()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(Two_people_chat_see_typing_receipts_presence_and_a_reopened_page_catches_up));
        var bobAccount = await TestUser.RegisterAsync(fixture);
        var aliceName = TestUser.UniqueName("alice");

        // Alice creates her account in the page; Bob logs in to his.
        var alice = await chromium.NewPersonAsync("alice");
        await alice.GotoAsync(AppUrl.ToString());
        await alice.FillAsync("#register-form [name=username]", aliceName);
        await alice.FillAsync("#register-form [name=email]", $"{aliceName}@example.com");
        await alice.FillAsync("#register-form [name=password]", TestUser.DefaultPassword);
        await alice.ClickAsync("#register-form button");
        await Expect(alice.Locator("#me")).ToHaveTextAsync($"@{aliceName}");
        await Expect(alice.Locator("#signed-out")).ToBeHiddenAsync();
        await Expect(alice.Locator("#status")).ToHaveTextAsync("online");

        var bob = await LogInAsync(chromium, bobAccount, "bob");
        await chromium.ScreenshotAsync(bob, "bob-logged-in");

        // Alice starts a direct chat; it appears in Bob's list live, and he opens it.
        await alice.FillAsync("#direct-form [name=username]", bobAccount.User.Username);
        await alice.ClickAsync("#direct-form button");
        await Expect(alice.Locator("#chat-title")).ToHaveTextAsync(bobAccount.User.DisplayName);
        var bobsEntry = bob.Locator("#conversations li", new() { HasText = aliceName });
        await Expect(bobsEntry).ToHaveCountAsync(1);
        await bobsEntry.ClickAsync();
        await Expect(bob.Locator("#chat-title")).ToHaveTextAsync(aliceName);

        // Each sees the other online.
        var bobsDotAtAlice = alice.Locator($"#members [data-user-id='{bobAccount.Id}']");
        await Expect(bobsDotAtAlice).ToHaveClassAsync(OnlineClass());
        await Expect(bob.Locator("#members .presence")).ToHaveClassAsync(OnlineClass());
        await chromium.ScreenshotAsync(alice, "alice-sees-bob-online");

        // Alice types: Bob sees the indicator.
        await alice.Locator("#send-form [name=body]").PressSequentiallyAsync("hello bob", new() { Delay = 60 });
        await Expect(bob.Locator("#typing")).ToHaveTextAsync($"{aliceName} is typing…");
        await chromium.ScreenshotAsync(bob, "bob-sees-alice-typing");

        // Alice sends: Bob sees the message and the indicator goes; Bob has it on screen, so Alice sees it read.
        await alice.PressAsync("#send-form [name=body]", "Enter");
        await Expect(bob.Locator("#messages li[data-seq='1'] .body")).ToHaveTextAsync("hello bob");
        await Expect(bob.Locator("#typing")).ToHaveTextAsync("");
        await chromium.ScreenshotAsync(bob, "bob-sees-the-message");
        await Expect(alice.Locator("#messages li[data-seq='1'] .receipt")).ToHaveTextAsync("Read");
        await chromium.ScreenshotAsync(alice, "alice-sees-it-read");

        // Bob closes his page: Alice sees him go offline, then writes while he is away.
        var bobsUrl = bob.Url;
        await bob.CloseAsync();
        await Expect(bobsDotAtAlice).Not.ToHaveClassAsync(OnlineClass());
        await alice.FillAsync("#send-form [name=body]", "sent while you were away");
        await alice.PressAsync("#send-form [name=body]", "Enter");
        await Expect(alice.Locator("#messages li[data-seq='2'] .receipt")).ToHaveTextAsync("Sent");
        await chromium.ScreenshotAsync(alice, "alice-sees-bob-offline-and-writes");

        // Bob opens the app again in the same browser: still logged in, the same conversation open, and what he missed is there.
        bob = await bob.Context.NewPageAsync();
        await bob.GotoAsync(bobsUrl);
        await Expect(bob.Locator("#chat-title")).ToHaveTextAsync(aliceName);
        await Expect(bob.Locator("#messages li .body")).ToHaveTextAsync(["hello bob", "sent while you were away"]);
        await chromium.ScreenshotAsync(bob, "bob-back-and-caught-up");
        await Expect(bobsDotAtAlice).ToHaveClassAsync(OnlineClass());
        await Expect(alice.Locator("#messages li[data-seq='2'] .receipt")).ToHaveTextAsync("Read");

        // A reload keeps Alice's session and conversation too.
        await alice.ReloadAsync();
        await Expect(alice.Locator("#chat-title")).ToHaveTextAsync(bobAccount.User.DisplayName);
        await Expect(alice.Locator("#messages li .body")).ToHaveTextAsync(["hello bob", "sent while you were away"]);
        await Expect(alice.Locator("#status")).ToHaveTextAsync("online");
        await chromium.ScreenshotAsync(alice, "alice-after-reload");
    }

    [Fact]
    public async Task Unread_count_a_message_notification_that_opens_its_conversation_and_older_history_page_in_with_before()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(Unread_count_a_message_notification_that_opens_its_conversation_and_older_history_page_in_with_before));
        var (alice, bob, conversation) = await MessagesToOfflineAliceAsync([.. Enumerable.Range(1, 35).Select(i => $"message {i}")]);
        var page = await LogInAsync(chromium, alice, "alice");
        var entry = page.Locator($"#conversations li[data-id='{conversation.Id}']");
        await Expect(entry.Locator(".unread")).ToHaveTextAsync("35");
        await Expect(page.Locator("#notification-count")).ToHaveTextAsync("(1)");
        await chromium.ScreenshotAsync(page, "35-unread");

        await page.ClickAsync("#social [data-tab=notifications]");
        var notification = page.Locator("#notifications li", new() { HasText = $"{bob.User.DisplayName} sent you a message" });
        await notification.ClickAsync();
        await Expect(page.Locator("#messages li")).ToHaveCountAsync(30);
        await Expect(page.Locator("#messages li .body").First).ToHaveTextAsync("message 6");
        await Expect(entry.Locator(".unread")).ToHaveTextAsync("");
        await page.ClickAsync("#older");
        await Expect(page.Locator("#messages li")).ToHaveCountAsync(35);
        await Expect(page.Locator("#messages li .body").First).ToHaveTextAsync("message 1");
        await chromium.ScreenshotAsync(page, "older-messages-loaded");
        Assert.Equal(35, (await Chat.GetAsync(bob, conversation.Id)).LastSeq);
        Assert.Equal(0, (await Chat.GetAsync(alice, conversation.Id)).UnreadCount);
    }

    [Fact]
    public async Task Reading_a_conversation_clears_its_message_notification_from_the_badge()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(Reading_a_conversation_clears_its_message_notification_from_the_badge));
        var (alice, _, conversation) = await MessagesToOfflineAliceAsync(["while you were away"]);
        var page = await LogInAsync(chromium, alice, "alice");
        await Expect(page.Locator("#notification-count")).ToHaveTextAsync("(1)");

        // Opened from the conversation list, not from the notifications tab: the server marks the notification read with
        // the conversation, and the badge says so without a reload.
        await page.Locator($"#conversations li[data-id='{conversation.Id}']").ClickAsync();
        await Expect(page.Locator("#messages li .body")).ToHaveTextAsync(["while you were away"]);
        await Expect(page.Locator("#notification-count")).ToHaveTextAsync("");
        var stored = await SocialSteps.NotificationsWhenAsync(alice, n => n[0].ReadAt is not null);
        Assert.Equal(conversation.Id, Assert.Single(stored).ConversationId);
    }

    [Fact]
    public async Task Follow_post_like_notifications_and_a_group_in_the_browser()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(Follow_post_like_notifications_and_a_group_in_the_browser));
        var aliceAccount = await TestUser.RegisterAsync(fixture);
        var bobAccount = await TestUser.RegisterAsync(fixture);
        var alice = await LogInAsync(chromium, aliceAccount, "alice");
        var bob = await LogInAsync(chromium, bobAccount, "bob");

        // Alice follows Bob, Bob posts; the post reaches Alice's feed once the Worker has fanned it out.
        await alice.FillAsync("#follow-form [name=username]", bobAccount.User.Username);
        await alice.ClickAsync("#follow-form button");
        await Expect(alice.Locator("#follow-form [name=username]")).ToHaveValueAsync("");   // cleared once the follow is done
        await bob.FillAsync("#post-form [name=body]", "hello from bob");
        await bob.ClickAsync("#post-form button");
        await Expect(bob.Locator("#feed li", new() { HasText = "hello from bob" })).ToHaveCountAsync(1);
        var post = alice.Locator("#feed li", new() { HasText = "hello from bob" });
        var shown = await Eventually.HoldsAsync(async () =>
        {
            await alice.ClickAsync("#social [data-tab=feed]");
            await Expect(alice.Locator("#feed")).ToHaveAttributeAsync("aria-busy", "false");
            return await post.CountAsync();
        }, count => count == 1, TimeSpan.FromSeconds(60));
        Assert.Equal(1, shown);
        await post.Locator(".like").ClickAsync();
        await Expect(post.Locator(".like")).ToHaveTextAsync("♥ 1");
        await chromium.ScreenshotAsync(alice, "alice-liked-bobs-post");

        // Bob is told live: a follow and a like.
        await Expect(bob.Locator("#notification-count")).ToHaveTextAsync("(2)");
        await bob.ClickAsync("#social [data-tab=notifications]");
        await Expect(bob.Locator("#notifications li")).ToContainTextAsync([
            $"{aliceAccount.User.DisplayName} liked your post", $"{aliceAccount.User.DisplayName} followed you"]);
        await chromium.ScreenshotAsync(bob, "bob-reads-notifications");

        // Bob starts a group with Alice: it appears in her list.
        await bob.FillAsync("#group-form [name=title]", "weekend plans");
        await bob.FillAsync("#group-form [name=usernames]", aliceAccount.User.Username);
        await bob.ClickAsync("#group-form button");
        await Expect(bob.Locator("#chat-title")).ToHaveTextAsync("weekend plans");
        var group = alice.Locator("#conversations li", new() { HasText = "weekend plans" });
        await Expect(group).ToHaveCountAsync(1);
        await chromium.ScreenshotAsync(alice, "alice-sees-the-group");

        // Alice has the group open when Bob removes her: it closes and leaves her list.
        await group.ClickAsync();
        await Expect(alice.Locator("#chat-title")).ToHaveTextAsync("weekend plans");
        var groupId = await group.GetAttributeAsync("data-id");
        Assert.Equal(HttpStatusCode.NoContent, (await bobAccount.Client.DeleteAsync($"/api/v1/conversations/{groupId}/members/{aliceAccount.Id}")).StatusCode);
        await Expect(group).ToHaveCountAsync(0);
        await Expect(alice.Locator("#send-form")).ToBeHiddenAsync();
        await Expect(alice.Locator("#chat-title")).ToHaveTextAsync("");
    }

    /// <summary>Bob sends Alice these messages while she is offline, and the Worker notifies her of them.</summary>
    private async Task<(TestUser Alice, TestUser Bob, ConversationResponse Conversation)> MessagesToOfflineAliceAsync(string[] bodies)
    {
        var alice = await TestUser.RegisterAsync(fixture);
        var bob = await TestUser.RegisterAsync(fixture);
        var conversation = await Chat.OpenDirectAsync(bob, alice);
        foreach (var body in bodies)
        {
            await Chat.SendAsync(bob, conversation.Id, body);
        }

        await SocialSteps.NotificationsWhenAsync(alice, n => n.Count == 1);
        return (alice, bob, conversation);
    }

    private async Task<IPage> LogInAsync(HeadlessChromium chromium, TestUser account, string person)
    {
        var page = await chromium.NewPersonAsync(person);
        await page.GotoAsync(AppUrl.ToString());
        await page.FillAsync("#login-form [name=login]", account.User.Username);
        await page.FillAsync("#login-form [name=password]", account.Password);
        await page.ClickAsync("#login-form button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("online");
        return page;
    }

    [GeneratedRegex(@"\bonline\b")]
    private static partial Regex OnlineClass();
}
