var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRealtimeServices();
builder.AddCorsAllowList();
builder.AddTrustedProxies();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseCors();
app.UseHubAdmission();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapChatHub();

app.Run();
