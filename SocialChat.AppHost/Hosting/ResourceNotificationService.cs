using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>Aspire's resource states.</summary>
public static class KnownResourceStates
{
    public const string NotStarted = nameof(NotStarted);
    public const string Starting = nameof(Starting);
    public const string Waiting = nameof(Waiting);
    public const string Running = nameof(Running);
    public const string RuntimeUnhealthy = nameof(RuntimeUnhealthy);
    public const string Stopping = nameof(Stopping);
    public const string Exited = nameof(Exited);
    public const string Finished = nameof(Finished);
    public const string FailedToStart = nameof(FailedToStart);

    public static bool IsTerminal(string state) => state is Exited or Finished or FailedToStart;
}

public enum HealthStatus
{
    Unknown,
    Healthy,
    Unhealthy,
}

/// <summary>One replica of a resource as it is now: what the console, the dashboard and the tests see.</summary>
public sealed record ResourceSnapshot
{
    /// <summary>The instance name: the resource name, or <c>{resource}-{replica}</c> for a replicated project.</summary>
    public required string Name { get; init; }

    public required string ResourceName { get; init; }

    public required string ResourceType { get; init; }

    public int Replica { get; init; }

    public string State { get; init; } = KnownResourceStates.NotStarted;

    public HealthStatus Health { get; init; } = HealthStatus.Unknown;

    public string? HealthDescription { get; init; }

    public int? Pid { get; init; }

    public DateTime? StartedAt { get; init; }

    public DateTime? StoppedAt { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>How many times it was started again after its first start (the dashboard's Start and Restart, tests).</summary>
    public int Restarts { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>The injected environment, secrets masked.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public bool IsHealthyAndRunning => State == KnownResourceStates.Running && Health == HealthStatus.Healthy;
}

/// <summary>
/// The one stream of resource state changes. The console view, the dashboard and the test fixture all
/// subscribe to it; nobody polls the orchestrator's internals.
/// </summary>
public sealed class ResourceNotificationService
{
    private readonly ConcurrentDictionary<string, ResourceSnapshot> _latest = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Channel<ResourceSnapshot>, byte> _watchers = new();

    public IReadOnlyList<ResourceSnapshot> Current => [.. _latest.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];

    public void Publish(ResourceSnapshot snapshot)
    {
        _latest[snapshot.Name] = snapshot;
        foreach (var watcher in _watchers.Keys)
        {
            watcher.Writer.TryWrite(snapshot);
        }
    }

    /// <summary>The current state of every instance, then every change as it happens.</summary>
    public async IAsyncEnumerable<ResourceSnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ResourceSnapshot>();
        _watchers[channel] = 0;
        try
        {
            foreach (var snapshot in Current)
            {
                yield return snapshot;
            }

            await foreach (var snapshot in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return snapshot;
            }
        }
        finally
        {
            _watchers.TryRemove(channel, out _);
        }
    }

    /// <summary>Waits until every replica of the resource satisfies the predicate.</summary>
    public async Task WaitForResourceAsync(string resourceName, Func<ResourceSnapshot, bool> predicate, CancellationToken cancellationToken = default)
    {
        await foreach (var _ in WatchAsync(cancellationToken))
        {
            var instances = _latest.Values.Where(s => string.Equals(s.ResourceName, resourceName, StringComparison.OrdinalIgnoreCase)).ToList();
            if (instances.Count == 0)
            {
                throw new DistributedApplicationException($"There is no resource named '{resourceName}'.");
            }

            if (instances.All(predicate))
            {
                return;
            }
        }
    }

    public Task WaitForResourceAsync(string resourceName, string targetState, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(resourceName, s => s.State == targetState, cancellationToken);

    /// <summary>Running, then Healthy (Aspire's WaitFor); fails at once if a replica reaches a terminal state (exited, finished, failed to start).</summary>
    public Task WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(resourceName, snapshot =>
        {
            if (KnownResourceStates.IsTerminal(snapshot.State))
            {
                throw new DistributedApplicationException(
                    $"Resource '{snapshot.Name}' is {snapshot.State}{(snapshot.ExitCode is { } code ? $" (exit code {code})" : "")}; it will not become healthy.");
            }

            return snapshot.IsHealthyAndRunning;
        }, cancellationToken);
}
