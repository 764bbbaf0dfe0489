using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SocialChat.Data.Auth;

public static class AuthenticationExtensions
{
    /// <summary>
    /// JWT bearer authentication shared by the Api and the realtime hub: only HS256 with the configured key,
    /// issuer and audience; the token's session must still be live; hub clients may send the token as the
    /// <c>access_token</c> query parameter (browsers cannot set headers on WebSockets).
    /// </summary>
    public static IHostApplicationBuilder AddSocialChatAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddHostedService<RevocationsAfterRedisOutage>();
        builder.Services.AddSingleton<AccessTokenIssuer>();
        builder.Services.AddSingleton<RefreshTokens>();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>>((bearer, jwtOptions) =>
            {
                var jwt = jwtOptions.Value;
                bearer.MapInboundClaims = false;
                // Nothing reads the token back from the authentication result, and a hub connection would keep that
                // copy of it for its whole life.
                bearer.SaveToken = false;
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    IssuerSigningKey = AccessTokenIssuer.SigningKeyOf(jwt),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = ClaimsPrincipalExtensions.UserIdClaim,
                };
                bearer.Events = new JwtBearerEvents
                {
                    OnMessageReceived = ReadHubTokenFromQuery,
                    OnTokenValidated = RequireLiveSessionAsync,
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }

    private static Task ReadHubTokenFromQuery(MessageReceivedContext context)
    {
        if (context.Request.Path.StartsWithSegments("/hubs") && context.Request.Query.TryGetValue("access_token", out var token))
        {
            context.Token = token;
        }

        return Task.CompletedTask;
    }

    private static async Task RequireLiveSessionAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (!Guid.TryParse(principal.FindFirstValue(ClaimsPrincipalExtensions.SessionIdClaim), out var sessionId)
            || !Guid.TryParse(principal.FindFirstValue(ClaimsPrincipalExtensions.UserIdClaim), out var userId))
        {
            context.Fail("The token has no valid sub and sid.");
            return;
        }

        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionStore>();
        if (!await sessions.IsLiveAsync(sessionId, userId, context.HttpContext.RequestAborted))
        {
            context.Fail("The session was signed out.");
            return;
        }

        // A hub connection keeps its principal for its whole life: keep only what the doors read.
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimsPrincipalExtensions.UserIdClaim, userId.ToString()),
                new Claim(ClaimsPrincipalExtensions.SessionIdClaim, sessionId.ToString()),
            ],
            JwtBearerDefaults.AuthenticationScheme,
            ClaimsPrincipalExtensions.UserIdClaim,
            roleType: null));
    }
}
