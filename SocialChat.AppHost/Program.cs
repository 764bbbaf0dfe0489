var builder = DistributedApplication.CreateBuilder(args);

var jwtSigningKey = builder.AddParameter("jwt-signing-key", new GenerateParameterDefault { MinLength = 64, Special = false }, secret: true);

var postgres = builder.AddPostgres("postgres").WithDataDirectory("postgres-data");
var socialdb = postgres.AddDatabase("socialdb");

var cache = builder.AddRedis("cache").WithDataDirectory("redis-data");

var worker = builder.AddProject<Projects.SocialChat_Worker>("worker")
    .WithReference(socialdb)
    .WithReference(cache)
    .WaitFor(socialdb)
    .WaitFor(cache);

var api = builder.AddProject<Projects.SocialChat_Api>("api")
    .WithHttpEndpoint(port: 5080)
    .WithExternalHttpEndpoints()
    .WithReference(socialdb)
    .WithReference(cache)
    .WithEnvironment("Jwt__SigningKey", jwtSigningKey)
    .WaitFor(worker);

var realtime = builder.AddProject<Projects.SocialChat_Realtime>("realtime")
    .WithReplicas(2)
    .WithHttpEndpoint(port: 5090)
    .WithExternalHttpEndpoints()
    .WithReference(socialdb)
    .WithReference(cache)
    .WithReference(api)
    .WithEnvironment("Jwt__SigningKey", jwtSigningKey)
    .WaitFor(worker);

// The web client the Api serves at /app reaches the hub on another origin here (behind nginx it is the same one):
// tell the page where the first Realtime instance is, and let that origin through the hub's CORS. Development only.
if (builder.Options.Publisher is null)
{
    api.WithEnvironment(context => context.EnvironmentVariables["WebClient__HubUrl"] =
        ReferenceExpression.Create($"{new EndpointReference(realtime.Resource, "http")}/hubs/chat"));
    realtime.WithEnvironment(context => context.EnvironmentVariables["Cors__AllowedOrigins__0"] = new EndpointReference(api.Resource, "http"));
}

builder.Build().Run();

/// <summary>The entry point's type, for <c>DistributedApplicationTestingBuilder.CreateAsync&lt;Program&gt;()</c>.</summary>
public partial class Program;
