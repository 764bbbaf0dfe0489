namespace Aspire.Hosting.ApplicationModel;

/// <summary>A named node of the app model; everything it needs is carried by its annotations.</summary>
public interface IResource
{
    string Name { get; }

    ResourceAnnotationCollection Annotations { get; }
}

public interface IResourceAnnotation;

public sealed class ResourceAnnotationCollection : List<IResourceAnnotation>;

public abstract class Resource(string name) : IResource
{
    public string Name { get; } = name;

    public ResourceAnnotationCollection Annotations { get; } = [];

    public override string ToString() => Name;
}

/// <summary>A resource other resources reference by a connection string (<c>ConnectionStrings__{name}</c>).</summary>
public interface IResourceWithConnectionString : IResource
{
    ReferenceExpression ConnectionStringExpression { get; }

    /// <summary>The parts injected as <c>{NAME}_HOST</c>, <c>_PORT</c>, … beside the connection string (Aspire 13).</summary>
    IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties();
}

/// <summary>A resource that is a running thing (process, container) rather than a value.</summary>
public interface IResourceWithEndpoints : IResource;

/// <summary>A child resource that lives inside its parent (a database inside a server).</summary>
public interface IResourceWithParent : IResource
{
    IResource Parent { get; }
}

/// <summary>A secret or setting; generated values are persisted in the state folder, never in the repo.</summary>
public sealed class ParameterResource(string name, bool secret, GenerateParameterDefault? generate) : Resource(name), IValueProvider, IManifestExpressionProvider
{
    public bool Secret { get; } = secret;

    public GenerateParameterDefault? Generate { get; } = generate;

    /// <summary>Resolved by the app host at start from configuration (Parameters:{name}) or the state folder.</summary>
    public string? Value { get; internal set; }

    public string ValueExpression => $"{{{Name}.value}}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Value);
}

/// <summary>Aspire's rules for a generated parameter value.</summary>
public sealed record GenerateParameterDefault
{
    public int MinLength { get; init; } = 22;

    public bool Lower { get; init; } = true;

    public bool Upper { get; init; } = true;

    public bool Numeric { get; init; } = true;

    public bool Special { get; init; } = true;
}

public sealed class PostgresServerResource(string name, ParameterResource password) : Resource(name), IResourceWithConnectionString, IResourceWithEndpoints
{
    public const string DefaultUserName = "postgres";

    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public Dictionary<string, string> Databases { get; } = [];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={DefaultUserName};Password={PasswordParameter}");

    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() =>
    [
        new("HOST", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}")),
        new("PORT", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Port)}")),
        new("USERNAME", ReferenceExpression.Create($"{DefaultUserName}")),
        new("PASSWORD", ReferenceExpression.Create($"{PasswordParameter}")),
        new("URI", ReferenceExpression.Create(
            $"postgresql://{DefaultUserName}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}")),
    ];
}

public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent
{
    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Parent { get; } = parent;

    IResource IResourceWithParent.Parent => Parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{new ConnectionStringReference(Parent)};Database={DatabaseName}");

    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() =>
        Parent.GetConnectionProperties()
            .Where(p => p.Key != "URI")
            .Append(new("URI", ReferenceExpression.Create(
                $"postgresql://{PostgresServerResource.DefaultUserName}:{Parent.PasswordParameter}@{Parent.PrimaryEndpoint.Property(EndpointProperty.Host)}:{Parent.PrimaryEndpoint.Property(EndpointProperty.Port)}/{DatabaseName}")))
            .Append(new("DATABASE", ReferenceExpression.Create($"{DatabaseName}")));
}

public sealed class RedisResource(string name, ParameterResource password) : Resource(name), IResourceWithConnectionString, IResourceWithEndpoints
{
    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");

    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() =>
    [
        new("HOST", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}")),
        new("PORT", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Port)}")),
        new("PASSWORD", ReferenceExpression.Create($"{PasswordParameter}")),
        new("URI", ReferenceExpression.Create(
            $"redis://:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}")),
    ];
}

public sealed class ProjectResource(string name, IProjectMetadata project) : Resource(name), IResourceWithEndpoints
{
    public IProjectMetadata Project { get; } = project;
}

/// <summary>What the generated <c>Projects.*</c> classes describe: where a referenced project lives.</summary>
public interface IProjectMetadata
{
    string ProjectPath { get; }
}

/// <summary>A resource's connection string as a value: resolved at run time, <c>{name.connectionString}</c> in the manifest.</summary>
public sealed class ConnectionStringReference(IResourceWithConnectionString resource) : IValueProvider, IManifestExpressionProvider
{
    public IResourceWithConnectionString Resource { get; } = resource;

    public string ValueExpression => $"{{{Resource.Name}.connectionString}}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
        Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
}
