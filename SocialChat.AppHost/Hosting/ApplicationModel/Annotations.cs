namespace Aspire.Hosting.ApplicationModel;

/// <summary>A network endpoint. <c>Port</c> is the fixed host port, or null for one allocated at start.</summary>
public sealed class EndpointAnnotation(string name, string uriScheme, int? port) : IResourceAnnotation
{
    public string Name { get; } = name;

    public string UriScheme { get; } = uriScheme;

    public int? Port { get; set; } = port;

    /// <summary>The port the process listens on inside its container, for the manifest's bindings.</summary>
    public int? TargetPort { get; init; }

    public bool IsExternal { get; set; }

    /// <summary>Filled by the orchestrator when it allocates the port of each replica.</summary>
    public Dictionary<int, AllocatedEndpoint> AllocatedEndpoints { get; } = [];
}

public sealed class EnvironmentCallbackAnnotation(Func<EnvironmentCallbackContext, Task> callback) : IResourceAnnotation
{
    public Func<EnvironmentCallbackContext, Task> Callback { get; } = callback;
}

/// <summary>The environment being built for one replica; values are resolved at run time or written as placeholders.</summary>
public sealed class EnvironmentCallbackContext(IResource resource, int replica)
{
    public IResource Resource { get; } = resource;

    public int Replica { get; } = replica;

    /// <summary>Each value is a string, a <see cref="ReferenceExpression"/> or an <see cref="IValueProvider"/>.</summary>
    public Dictionary<string, object> EnvironmentVariables { get; } = new(StringComparer.Ordinal);
}

public enum WaitType
{
    WaitUntilHealthy,
    WaitForCompletion,
}

public sealed record WaitAnnotation(IResource Resource, WaitType WaitType) : IResourceAnnotation;

public sealed record ReplicaAnnotation(int Replicas) : IResourceAnnotation;

/// <summary>Where a resource keeps its data between runs (Aspire's data volume / bind mount).</summary>
public sealed record DataDirectoryAnnotation(string Path) : IResourceAnnotation;

/// <summary>The HTTP path polled to decide a resource is healthy.</summary>
public sealed record HealthCheckAnnotation(string Path) : IResourceAnnotation;

public static class ResourceExtensions
{
    public static IEnumerable<T> AnnotationsOf<T>(this IResource resource) where T : IResourceAnnotation =>
        resource.Annotations.OfType<T>();

    public static int ReplicaCount(this IResource resource) =>
        resource.AnnotationsOf<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
}
