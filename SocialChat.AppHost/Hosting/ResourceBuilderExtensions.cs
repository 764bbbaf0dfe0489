using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>The part of Aspire's builder API this system uses, with Aspire's names and behaviour.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<ParameterResource> AddParameter(this IDistributedApplicationBuilder builder, string name, bool secret = false) =>
        builder.AddResource(new ParameterResource(name, secret, generate: null));

    public static IResourceBuilder<ParameterResource> AddParameter(
        this IDistributedApplicationBuilder builder, string name, GenerateParameterDefault value, bool secret = false) =>
        builder.AddResource(new ParameterResource(name, secret, value));

    public static IResourceBuilder<PostgresServerResource> AddPostgres(this IDistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", GeneratedPassword, secret: true);
        var postgres = builder.AddResource(new PostgresServerResource(name, password.Resource));
        postgres.Resource.Annotations.Add(new EndpointAnnotation("tcp", "tcp", port: null) { TargetPort = 5432 });
        return postgres;
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases[name] = database.DatabaseName;
        return server.ApplicationBuilder.AddResource(database);
    }

    public static IResourceBuilder<RedisResource> AddRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", GeneratedPassword, secret: true);
        var redis = builder.AddResource(new RedisResource(name, password.Resource));
        redis.Resource.Annotations.Add(new EndpointAnnotation("tcp", "tcp", port: null) { TargetPort = 6379 });
        return redis;
    }

    /// <summary>Keeps the resource's data in this folder (relative to the state folder) across runs.</summary>
    public static IResourceBuilder<T> WithDataDirectory<T>(this IResourceBuilder<T> builder, string path) where T : IResourceWithEndpoints =>
        builder.WithAnnotation(new DataDirectoryAnnotation(path));

    public static IResourceBuilder<ProjectResource> AddProject<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var project = builder.AddResource(new ProjectResource(name, new TProject()));
        project.Resource.Annotations.Add(new EndpointAnnotation("http", "http", port: null));
        project.Resource.Annotations.Add(new HealthCheckAnnotation("/health"));
        return project;
    }

    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null, string name = "http")
        where T : IResourceWithEndpoints
    {
        var existing = builder.Resource.AnnotationsOf<EndpointAnnotation>().SingleOrDefault(e => e.Name == name);
        if (existing is null)
        {
            return builder.WithAnnotation(new EndpointAnnotation(name, "http", port));
        }

        existing.Port = port;
        return builder;
    }

    public static IResourceBuilder<T> WithExternalHttpEndpoints<T>(this IResourceBuilder<T> builder) where T : IResourceWithEndpoints
    {
        foreach (var endpoint in builder.Resource.AnnotationsOf<EndpointAnnotation>().Where(e => e.UriScheme is "http" or "https"))
        {
            endpoint.IsExternal = true;
        }

        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas) =>
        builder.WithAnnotation(new ReplicaAnnotation(replicas));

    /// <summary>Injects <c>ConnectionStrings__{name}</c> and <c>{NAME}_HOST</c>, <c>_PORT</c>, … Never waits: that is WaitFor's job.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> source)
        where T : IResource
    {
        var resource = source.Resource;
        return builder.WithEnvironment(context =>
        {
            context.EnvironmentVariables[$"ConnectionStrings__{resource.Name}"] = new ConnectionStringReference(resource);
            var prefix = resource.Name.ToUpperInvariant().Replace('-', '_');
            foreach (var (property, value) in resource.GetConnectionProperties())
            {
                context.EnvironmentVariables[$"{prefix}_{property}"] = value;
            }
        });
    }

    /// <summary>Service discovery: <c>services__{name}__{endpoint}__0</c> for each of the project's HTTP endpoints.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<ProjectResource> source)
        where T : IResource
    {
        var project = source.Resource;
        return builder.WithEnvironment(context =>
        {
            foreach (var endpoint in project.AnnotationsOf<EndpointAnnotation>())
            {
                for (var replica = 0; replica < project.ReplicaCount(); replica++)
                {
                    context.EnvironmentVariables[$"services__{project.Name}__{endpoint.Name}__{replica}"] =
                        new EndpointReference(project, endpoint.Name, replica);
                }
            }
        });
    }

    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency) where T : IResource =>
        builder.WithAnnotation(new WaitAnnotation(dependency.Resource, WaitType.WaitUntilHealthy));

    public static IResourceBuilder<T> WaitForCompletion<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency) where T : IResource =>
        builder.WithAnnotation(new WaitAnnotation(dependency.Resource, WaitType.WaitForCompletion));

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : IResource =>
        builder.WithEnvironment(context => context.EnvironmentVariables[name] = value);

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter)
        where T : IResource =>
        builder.WithEnvironment(context => context.EnvironmentVariables[name] = parameter.Resource);

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, Action<EnvironmentCallbackContext> callback)
        where T : IResource =>
        builder.WithAnnotation(new EnvironmentCallbackAnnotation(context =>
        {
            callback(context);
            return Task.CompletedTask;
        }));

    public static IResourceBuilder<T> WithAnnotation<T>(this IResourceBuilder<T> builder, IResourceAnnotation annotation) where T : IResource
    {
        builder.Resource.Annotations.Add(annotation);
        return builder;
    }

    // Aspire's default for generated passwords, without symbols: they travel inside connection strings and URIs.
    private static readonly GenerateParameterDefault GeneratedPassword = new() { MinLength = 22, Special = false };
}
