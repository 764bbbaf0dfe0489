using SocialChat.Data;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static void AddRealtimeServices(this IHostApplicationBuilder builder)
    {
        builder.AddSocialChatData();
    }
}
