using Microsoft.Extensions.Hosting;
using SocialChat.Data;
using SocialChat.Data.Realtime;
using SocialChat.Tests.Hosting;

namespace SocialChat.Tests.Support;

/// <summary>
/// SocialChat's data and realtime services in the test's own process, over the shared system's PostgreSQL and Redis:
/// for tests that drive a domain service directly, at a moment or in a state the system's processes cannot be brought to.
/// </summary>
public static class InProcessServices
{
    /// <param name="database">The PostgreSQL to use, the shared system's by default.</param>
    public static async Task<IHost> BuildAsync(SocialChatAppFixture fixture, string? database = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration[$"ConnectionStrings:{DataExtensions.DatabaseConnectionName}"] = database ?? await fixture.GetConnectionStringAsync("socialdb");
        builder.Configuration[$"ConnectionStrings:{DataExtensions.CacheConnectionName}"] = await fixture.GetConnectionStringAsync("cache");
        builder.AddSocialChatData();
        builder.AddSocialChatRealtime();
        return builder.Build();
    }
}
