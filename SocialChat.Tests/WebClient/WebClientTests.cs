using System.Text.RegularExpressions;
using Microsoft.Playwright;
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

        var bob = await chromium.NewPersonAsync("bob");
        await bob.GotoAsync(AppUrl.ToString());
        await bob.FillAsync("#login-form [name=login]", bobAccount.User.Username);
        await bob.FillAsync("#login-form [name=password]", TestUser.DefaultPassword);
        await bob.ClickAsync("#login-form button");
        await Expect(bob.Locator("#status")).ToHaveTextAsync("online");
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

    [GeneratedRegex(@"\bonline\b")]
    private static partial Regex OnlineClass();
}
