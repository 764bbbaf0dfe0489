using System.Buffers.Text;
using System.Text;
using SocialChat.Data.Common;
using SocialChat.Data.Users;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Users;

public sealed class UsersTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_profile_can_be_edited_within_the_rules()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var updated = await (await user.Client.PatchJsonAsync("/api/v1/users/me", new { displayName = "  Ada L.  ", bio = "Engines.", avatarUrl = "https://example.com/a.png" })).ReadAsync<UserResponse>();
        var invalid = await user.Client.PatchJsonAsync("/api/v1/users/me", new { bio = new string('b', 281), avatarUrl = "http://example.com/a.png", displayName = new string('d', 65) });

        Assert.Equal("Ada L.", updated.DisplayName);
        Assert.Equal("Engines.", updated.Bio);
        Assert.Equal("https://example.com/a.png", updated.AvatarUrl);
        await ProblemAssert.IsValidationProblemAsync(invalid, "bio", "avatarUrl", "displayName");
        var reread = await (await user.Client.GetAsync($"/api/v1/users/{user.Id}")).ReadAsync<UserResponse>();
        Assert.Equal("Ada L.", reread.DisplayName);
    }

    [Fact]
    public async Task Profile_limits_count_characters_after_NFC_not_UTF16_units()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var sixtyFourEmoji = string.Concat(Enumerable.Repeat("\U0001F600", 64));
        var decomposedBio = string.Concat(Enumerable.Repeat("e\u0301", 280));

        var updated = await (await user.Client.PatchJsonAsync("/api/v1/users/me", new { displayName = sixtyFourEmoji, bio = decomposedBio })).ReadAsync<UserResponse>();

        Assert.Equal(sixtyFourEmoji, updated.DisplayName);
        // Stored as typed would be 560 code points, past the column's 280: it is stored composed, "é" × 280.
        Assert.Equal(new string('\u00e9', 280), updated.Bio);
        await ProblemAssert.IsValidationProblemAsync(
            await user.Client.PatchJsonAsync("/api/v1/users/me", new { displayName = sixtyFourEmoji + "\U0001F600", bio = decomposedBio + "e" }), "displayName", "bio");
    }

    [Fact]
    public async Task Control_characters_in_a_profile_are_refused_and_change_nothing()
    {
        var user = await TestUser.RegisterAsync(fixture, displayName: "Ada");

        var lines = await (await user.Client.PatchJsonAsync("/api/v1/users/me", new { bio = "two\nlines" })).ReadAsync<UserResponse>();
        var invalid = await user.Client.PatchJsonAsync("/api/v1/users/me", new { displayName = "Ada\u0000", bio = "red \u001b[31m", avatarUrl = "https://example.com/\u0007.png" });
        var newline = await user.Client.PatchJsonAsync("/api/v1/users/me", new { displayName = "Ada\nLovelace" });

        Assert.Equal("two\nlines", lines.Bio);
        await ProblemAssert.IsValidationProblemAsync(invalid, "displayName", "bio", "avatarUrl");
        await ProblemAssert.IsValidationProblemAsync(newline, "displayName");
        await ProblemAssert.IsValidationProblemAsync(await user.Client.GetAsync($"/api/v1/users?query={Uri.EscapeDataString("a\u0000")}"), "query");
        var reread = await (await user.Client.GetAsync("/api/v1/users/me")).ReadAsync<UserResponse>();
        Assert.Equal(("Ada", "two\nlines", (string?)null), (reread.DisplayName, reread.Bio, reread.AvatarUrl));
    }

    [Fact]
    public async Task An_unknown_user_is_404_and_anonymous_callers_401()
    {
        var user = await TestUser.RegisterAsync(fixture);
        using var anonymous = fixture.CreateHttpClient();

        await ProblemAssert.IsProblemAsync(await user.Client.GetAsync($"/api/v1/users/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Search_finds_by_username_or_display_name_prefix_and_pages_without_repeats()
    {
        var prefix = $"srch{Guid.NewGuid():N}"[..12];
        var searcher = await TestUser.RegisterAsync(fixture);
        var byName = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => TestUser.RegisterAsync(fixture, $"{prefix}_{i}")));
        var byDisplayName = await TestUser.RegisterAsync(fixture, displayName: $"{prefix.ToUpperInvariant()} Person");

        var seen = new List<UserResponse>();
        string? cursor = null;
        do
        {
            var page = await (await searcher.Client.GetAsync($"/api/v1/users?query={prefix.ToUpperInvariant()}&limit=2&cursor={cursor}")).ReadAsync<Page<UserResponse>>();
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(byName.Select(u => u.Id).Append(byDisplayName.Id).Order(), seen.Select(u => u.Id).Order());
        await ProblemAssert.IsValidationProblemAsync(await searcher.Client.GetAsync("/api/v1/users?query="), "query");
        await ProblemAssert.IsValidationProblemAsync(await searcher.Client.GetAsync($"/api/v1/users?query={prefix}&cursor=not-a-cursor"), "cursor");
        // Cursors forged with a position PostgreSQL cannot take as text: a NUL, half a surrogate pair.
        foreach (var forged in new[] { "\"\\u0000\"", "\"a\\ud800\"" })
        {
            var forgedCursor = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forged));
            await ProblemAssert.IsValidationProblemAsync(await searcher.Client.GetAsync($"/api/v1/users?query={prefix}&cursor={forgedCursor}"), "cursor");
        }

        await ProblemAssert.IsValidationProblemAsync(await searcher.Client.GetAsync($"/api/v1/users?query={prefix}&limit=101"), "limit");
    }

    [Fact]
    public async Task Search_finds_a_display_name_whichever_way_its_accents_are_typed()
    {
        var unique = $"{Guid.NewGuid():N}"[..8];
        var searcher = await TestUser.RegisterAsync(fixture);
        var zoe = await TestUser.RegisterAsync(fixture, displayName: $"Zo\u00EB{unique}");

        // The same name typed decomposed, as some keyboards and input methods send it: "e" and a combining diaeresis.
        var page = await (await searcher.Client.GetAsync($"/api/v1/users?query={Uri.EscapeDataString($"zoe\u0308{unique}")}")).ReadAsync<Page<UserResponse>>();

        Assert.Equal(zoe.Id, Assert.Single(page.Items).Id);
    }

    [Fact]
    public async Task Search_treats_like_wildcards_as_text()
    {
        var user = await TestUser.RegisterAsync(fixture);

        var page = await (await user.Client.GetAsync("/api/v1/users?query=%25")).ReadAsync<Page<UserResponse>>();

        Assert.Empty(page.Items);
    }

    [Fact]
    public async Task Blocking_is_idempotent_and_refuses_self_and_unknown_users()
    {
        var user = await TestUser.RegisterAsync(fixture);
        var other = await TestUser.RegisterAsync(fixture);

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync($"/api/v1/users/{other.Id}/block", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync($"/api/v1/users/{other.Id}/block", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/v1/users/{other.Id}/block")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/v1/users/{other.Id}/block")).StatusCode);
        await ProblemAssert.IsProblemAsync(await user.Client.PostAsync($"/api/v1/users/{user.Id}/block", null), HttpStatusCode.BadRequest);
        await ProblemAssert.IsProblemAsync(await user.Client.PostAsync($"/api/v1/users/{Guid.NewGuid()}/block", null), HttpStatusCode.NotFound);
    }
}
