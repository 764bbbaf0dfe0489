var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddCorsAllowList();
builder.AddTrustedProxies();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseSecurityHeaders();
app.UseWebClient();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseRequestTimeouts();

app.MapDefaultEndpoints();
app.MapApiReference();
app.MapAuthApi();
app.MapUsersApi();
app.MapPresenceApi();
app.MapConversationsApi();
app.MapMessagesApi();
app.MapFollowsApi();
app.MapPostsApi();
app.MapFeedApi();
app.MapWebClientApi();

app.Run();
