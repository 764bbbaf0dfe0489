using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Publishing;

/// <summary>
/// Writes the app model in Aspire's manifest format (<c>--publisher manifest --output-path …</c>), from the
/// same resources the local orchestrator runs: containers for PostgreSQL and Redis, a value for the
/// database, projects with their environment and bindings, parameters for every secret.
/// </summary>
internal static class ManifestPublisher
{
    public const string PostgresImage = "docker.io/library/postgres:17.6";
    public const string RedisImage = "docker.io/library/redis:7.4";

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <c>aspire-manifest.json</c> at the output path and the two VPS bundles beside it.</summary>
    public static async Task PublishAsync(DistributedApplicationOptions options, IReadOnlyList<IResource> resources)
    {
        if (options.Publisher != "manifest")
        {
            throw new DistributedApplicationException($"Unknown publisher '{options.Publisher}'; the one publisher is 'manifest'.");
        }

        var outputPath = Path.GetFullPath(options.OutputPath ?? "aspire-manifest.json");
        var outputDirectory = Path.GetDirectoryName(outputPath)!;
        Directory.CreateDirectory(outputDirectory);
        var manifest = await WriteManifestAsync(resources, outputDirectory);
        await File.WriteAllTextAsync(outputPath, manifest.ToJsonString(WriteOptions) + "\n");
        await VpsBundlePublisher.WriteAsync(manifest, resources, outputDirectory);
        Console.WriteLine($"Published manifest to: {outputPath}");
        Console.WriteLine($"Published db-vps/ and main-vps/ bundles to: {outputDirectory}");
    }

    public static async Task<JsonObject> WriteManifestAsync(IReadOnlyList<IResource> resources, string manifestDirectory)
    {
        var entries = new JsonObject();
        foreach (var resource in resources)
        {
            entries[resource.Name] = resource switch
            {
                ParameterResource parameter => Parameter(parameter),
                PostgresServerResource postgres => Postgres(postgres),
                PostgresDatabaseResource database => new JsonObject
                {
                    ["type"] = "value.v0",
                    ["connectionString"] = database.ConnectionStringExpression.ValueExpression,
                },
                RedisResource redis => Redis(redis),
                ProjectResource project => await ProjectAsync(project, manifestDirectory),
                _ => throw new InvalidOperationException($"The manifest has no form for {resource.GetType().Name}."),
            };
        }

        return new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/aspire-8.0.json",
            ["resources"] = entries,
        };
    }

    private static JsonObject Parameter(ParameterResource parameter)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = parameter.Secret };
        if (parameter.Generate is { } generate)
        {
            var rules = new JsonObject { ["minLength"] = generate.MinLength };
            AddIfFalse(rules, "lower", generate.Lower);
            AddIfFalse(rules, "upper", generate.Upper);
            AddIfFalse(rules, "numeric", generate.Numeric);
            AddIfFalse(rules, "special", generate.Special);
            input["default"] = new JsonObject { ["generate"] = rules };
        }

        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static JsonObject Postgres(PostgresServerResource postgres) => new()
    {
        ["type"] = "container.v0",
        ["connectionString"] = postgres.ConnectionStringExpression.ValueExpression,
        ["image"] = PostgresImage,
        ["env"] = new JsonObject
        {
            ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
            ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
            ["POSTGRES_USER"] = PostgresServerResource.DefaultUserName,
            ["POSTGRES_PASSWORD"] = postgres.PasswordParameter.ValueExpression,
        },
        ["bindings"] = Bindings(postgres),
    };

    private static JsonObject Redis(RedisResource redis) => new()
    {
        ["type"] = "container.v0",
        ["connectionString"] = redis.ConnectionStringExpression.ValueExpression,
        ["image"] = RedisImage,
        ["entrypoint"] = "/bin/sh",
        ["args"] = new JsonArray("-c", "redis-server --requirepass $REDIS_PASSWORD --appendonly yes"),
        ["env"] = new JsonObject { ["REDIS_PASSWORD"] = redis.PasswordParameter.ValueExpression },
        ["bindings"] = Bindings(redis),
    };

    private static async Task<JsonObject> ProjectAsync(ProjectResource project, string manifestDirectory)
    {
        var env = new JsonObject
        {
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
            ["ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
            ["HTTP_PORTS"] = $"{{{project.Name}.bindings.http.targetPort}}",
        };
        foreach (var callback in project.AnnotationsOf<EnvironmentCallbackAnnotation>())
        {
            var context = new EnvironmentCallbackContext(project, replica: 0);
            await callback.Callback(context);
            foreach (var (key, value) in context.EnvironmentVariables)
            {
                env[key] = value switch
                {
                    IManifestExpressionProvider expression => expression.ValueExpression,
                    _ => value.ToString(),
                };
            }
        }

        var entry = new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Path.GetRelativePath(manifestDirectory, project.Project.ProjectPath).Replace('\\', '/'),
            ["env"] = env,
            ["bindings"] = Bindings(project),
        };
        return entry;
    }

    private static JsonObject Bindings(IResource resource)
    {
        var bindings = new JsonObject();
        foreach (var endpoint in resource.AnnotationsOf<EndpointAnnotation>())
        {
            var binding = new JsonObject
            {
                ["scheme"] = endpoint.UriScheme,
                ["protocol"] = "tcp",
                ["transport"] = endpoint.UriScheme is "http" or "https" ? "http" : "tcp",
            };
            if (endpoint.TargetPort is { } targetPort)
            {
                binding["targetPort"] = targetPort;
            }

            if (endpoint.IsExternal)
            {
                binding["external"] = true;
            }

            bindings[endpoint.Name] = binding;
        }

        return bindings;
    }

    private static void AddIfFalse(JsonObject rules, string name, bool value)
    {
        if (!value)
        {
            rules[name] = false;
        }
    }
}
