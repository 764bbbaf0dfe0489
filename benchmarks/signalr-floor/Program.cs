using System.Text;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.IdentityModel.Tokens;

// SignalR with nothing of SocialChat's on it: what an idle connection costs the framework itself, and what each stock
// layer SocialChat also uses adds to that. "Layers" (comma-separated) adds them: "jwt" (JwtBearer with its stock
// principal, signature and lifetime checked, [Authorize] on the hub), "backplane" (the stock Redis backplane).
var builder = WebApplication.CreateBuilder(args);
var layers = (builder.Configuration["Layers"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
builder.Logging.ClearProviders();

// The hub's timings and transport as SocialChat.Realtime sets them.
var signalR = builder.Services.AddSignalR(options =>
{
    options.KeepAliveInterval = TimeSpan.FromSeconds(15);
    options.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
});
if (layers.Contains("backplane"))
{
    signalR.AddStackExchangeRedis(builder.Configuration.GetConnectionString("cache") ?? throw new InvalidOperationException("ConnectionStrings:cache is not set."));
}

var jwt = layers.Contains("jwt");
if (jwt)
{
    var signingKey = builder.Configuration["Jwt:SigningKey"] ?? throw new InvalidOperationException("Jwt:SigningKey is not set.");
    builder.Services.AddAuthentication().AddJwtBearer(bearer =>
    {
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)),
        };
        // WebSocket clients cannot set headers: the token comes in the query, as SocialChat takes it.
        bearer.Events = new() { OnMessageReceived = context => { context.Token = context.Request.Query["access_token"]; return Task.CompletedTask; } };
    });
    builder.Services.AddAuthorization();
}

var app = builder.Build();
if (jwt)
{
    app.UseAuthentication();
    app.UseAuthorization();
}

app.MapGet("/health", () => "Healthy");
var hub = app.MapHub<FloorHub>("/hubs/chat", options => options.Transports = HttpTransportType.WebSockets);
if (jwt)
{
    hub.RequireAuthorization();
}

app.Run();

/// <summary>Answers the load tool's first invocation and nothing else.</summary>
internal sealed class FloorHub : Hub
{
    public Guid[] SubscribePresence(Guid[] userIds) => [];
}
