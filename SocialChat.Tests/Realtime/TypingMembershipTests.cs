using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Realtime;

/// <summary>
/// A node remembers who belongs to which conversation so that typing does not ask PostgreSQL on every keystroke. The
/// moment that matters here falls inside one membership read, so the node's <see cref="TypingThrottle"/> runs in the
/// test's own process, over the shared system's PostgreSQL and Redis.
/// </summary>
public sealed class TypingMembershipTests(SocialChatAppFixture fixture)
{
    [Fact]
    public async Task A_membership_read_before_its_removal_but_answered_after_the_node_forgot_it_is_not_remembered()
    {
        var (owner, member) = (await TestUser.RegisterAsync(fixture), await TestUser.RegisterAsync(fixture));
        var group = await Chat.CreateGroupAsync(owner, member);
        using var node = await InProcessServices.BuildAsync(fixture);
        var typing = node.Services.GetRequiredService<TypingThrottle>();
        var options = node.Services.GetRequiredService<DbContextOptions<SocialDbContext>>();
        var heldRead = new HeldQueryAnswer();

        await using (var db = heldRead.Open(options))
        {
            var read = typing.IsMemberAsync(db, member.Id, group.Id, TestContext.Current.CancellationToken);
            await heldRead.Answered.WaitAsync(TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/v1/conversations/{group.Id}/members/{member.Id}")).StatusCode);
            // What the node does with the removal's announcement.
            typing.ForgetMembership(TypingThrottle.MembershipEnded(group.Id, member.Id));
            heldRead.Release();
            Assert.True(await read);
        }

        await using var scope = node.Services.CreateAsyncScope();
        Assert.False(await typing.IsMemberAsync(scope.ServiceProvider.GetRequiredService<SocialDbContext>(), member.Id, group.Id, TestContext.Current.CancellationToken));
    }
}
