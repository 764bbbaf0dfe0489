using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Identity;
using SocialChat.Api.Infrastructure;
using SocialChat.Api.RateLimiting;
using SocialChat.Data;
using SocialChat.Data.Auth;
using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;
using SocialChat.Data.Users;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddSocialChatData();
        builder.AddSocialChatAuthentication();
        builder.AddApiRateLimiting();
        builder.AddApiRequestTimeouts();

        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddScoped<Accounts>();

        // Publishes to hub clients on every Realtime node through the backplane; the Api maps no hub itself.
        builder.AddSocialChatRealtime();
        builder.Services.AddOptions<ConversationOptions>().BindConfiguration(ConversationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<SocialChat.Data.Conversations.Conversations>();
        builder.AddSocialChatMessages();
        builder.Services.AddScoped<Notifier>();

        // Kestrel's own loader reads endpoints, not limits: bind Kestrel:Limits (body and header sizes, minimum data
        // rates for slow clients) here; Kestrel refuses an out-of-range value when it is bound, before the Api serves.
        builder.Services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        builder.Services.ConfigureHttpJsonOptions(options => ContractJson.Apply(options.SerializerOptions));
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDefaults.Apply);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // A body or query value that will not bind reaches BadRequestExceptionHandler (and so answers with errors) only
        // when minimal APIs throw for it, which ASP.NET Core turns on in Development alone; elsewhere they would write a
        // bare 400 themselves.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<UnavailableDependencyExceptionHandler>();
        builder.Services.AddOpenApi(options => options.AddOperationTransformer<ProblemResponses>());
        builder.Services.AddOptions<WebClientOptions>().BindConfiguration(WebClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
    }
}
