using SocialChat.Api.Infrastructure;
using SocialChat.Data;
using SocialChat.Data.Common;

namespace Microsoft.Extensions.Hosting;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddSocialChatData();

        builder.Services.ConfigureHttpJsonOptions(options => ContractJson.Apply(options.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
        builder.Services.AddAuthorization();
    }
}
