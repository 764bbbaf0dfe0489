var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRealtimeServices();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
