using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SocialChat.Data.Messages;

public static class MessagesExtensions
{
    /// <summary>
    /// The message operations, for the processes that take sends (the Api and the Realtime nodes), with the one
    /// committer per process that groups their inserts.
    /// </summary>
    public static IHostApplicationBuilder AddSocialChatMessages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MessageCommitOptions>().BindConfiguration(MessageCommitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MessageCommitter>();
        builder.Services.AddScoped<Messages>();
        return builder;
    }
}
