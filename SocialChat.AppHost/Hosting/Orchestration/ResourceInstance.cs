using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Orchestration;

/// <summary>One replica of a resource under supervision: its process, log and latest published state.</summary>
internal sealed class ResourceInstance(IResource resource, int replica, string name, ResourceNotificationService notifications)
{
    public IResource Resource { get; } = resource;

    public int Replica { get; } = replica;

    public string Name { get; } = name;

    public LogBuffer Logs { get; } = new();

    public Process? Process { get; set; }

    /// <summary>Set when the app host itself stops the process, so its exit reads as Finished, not a crash.</summary>
    public bool StopRequested { get; set; }

    public CancellationTokenSource Lifetime { get; set; } = new();

    /// <summary>The task that starts, watches and reaps this instance's process.</summary>
    public Task Supervision { get; set; } = Task.CompletedTask;

    public ResourceSnapshot Snapshot { get; private set; } = new()
    {
        Name = name,
        ResourceName = resource.Name,
        ResourceType = TypeName(resource),
        Replica = replica,
    };

    public void Update(Func<ResourceSnapshot, ResourceSnapshot> change)
    {
        lock (Logs)
        {
            Snapshot = change(Snapshot);
        }

        notifications.Publish(Snapshot);
    }

    private static string TypeName(IResource resource) => resource switch
    {
        ProjectResource => "Project",
        PostgresServerResource => "PostgresServer",
        PostgresDatabaseResource => "PostgresDatabase",
        RedisResource => "Redis",
        ParameterResource => "Parameter",
        _ => resource.GetType().Name,
    };
}
