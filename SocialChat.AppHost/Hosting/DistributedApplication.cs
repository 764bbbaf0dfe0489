using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Dashboard;
using Aspire.Hosting.Orchestration;
using Aspire.Hosting.Publishing;

namespace Aspire.Hosting;

/// <summary>The built app model and what runs it: the orchestrator, the resource stream and the dashboard.</summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly DistributedApplicationOptions _options;
    private readonly IReadOnlyList<IResource> _resources;
    private readonly Orchestrator _orchestrator;
    private DashboardServer? _dashboard;
    private bool _started;

    internal DistributedApplication(DistributedApplicationOptions options, IReadOnlyList<IResource> resources)
    {
        _options = options;
        _resources = resources;
        ResourceNotifications = new ResourceNotificationService();
        _orchestrator = new Orchestrator(options, resources, ResourceNotifications);
    }

    public ResourceNotificationService ResourceNotifications { get; }

    public IReadOnlyList<IResource> Resources => _resources;

    public Uri? DashboardUrl => _dashboard?.Url;

    public static IDistributedApplicationBuilder CreateBuilder(string[] args) =>
        new DistributedApplicationBuilder(Testing.DistributedApplicationTestingBuilder.OptionsForEntryPoint ?? DistributedApplicationOptions.FromArgs(args));

    /// <summary>Runs until Ctrl+C or SIGTERM, then stops everything.</summary>
    public void Run() => RunAsync().GetAwaiter().GetResult();

    public async Task RunAsync()
    {
        if (_options.Publisher is not null)
        {
            await ManifestPublisher.PublishAsync(_options, _resources);
            return;
        }

        using var stopping = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };

        _orchestrator.DetachFromTerminal = true;

        // The console keeps reporting through the stop, so the terminal shows the order things stop in.
        using var reporting = new CancellationTokenSource();
        var reporter = new ConsoleReporter(ResourceNotifications, _orchestrator).RunAsync(this, reporting.Token);
        try
        {
            await StartAsync(stopping.Token);
            await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Console.WriteLine("Stopping: services, then Redis, then PostgreSQL…");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Ctrl+C while starting: stop what has started.
        }
        catch (DistributedApplicationException exception)
        {
            await Console.Error.WriteLineAsync($"error: {exception.Message}");
            Environment.ExitCode = 1;
        }
        finally
        {
            await DisposeAsync();
            await reporting.CancelAsync();
            await reporter;
            Console.WriteLine("Stopped.");
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _started = true;
        if (_options.DashboardPort is { } dashboardPort)
        {
            PortAllocator.EnsureFree(dashboardPort, "dashboard");
            _dashboard = new DashboardServer(_orchestrator, ResourceNotifications, dashboardPort);
            await _dashboard.StartAsync(cancellationToken);
        }

        await _orchestrator.StartAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (_started)
        {
            await _orchestrator.StopAsync();
        }

        if (_dashboard is not null)
        {
            await _dashboard.DisposeAsync();
            _dashboard = null;
        }

        if (_options.DeleteStateDirectoryOnStop && Directory.Exists(_options.StateDirectory))
        {
            Directory.Delete(_options.StateDirectory, recursive: true);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Resolved connection string of a resource (tests and scripts).</summary>
    public async Task<string?> GetConnectionStringAsync(string resourceName, CancellationToken cancellationToken = default) =>
        _resources.OfType<IResourceWithConnectionString>().SingleOrDefault(r => r.Name == resourceName) is { } resource
            ? await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
            : throw new ArgumentException($"Resource '{resourceName}' has no connection string.", nameof(resourceName));

    public Uri GetEndpoint(string resourceName, string endpointName = "http", int replica = 0)
    {
        var resource = _resources.OfType<IResourceWithEndpoints>().SingleOrDefault(r => r.Name == resourceName)
            ?? throw new ArgumentException($"Resource '{resourceName}' has no endpoints.", nameof(resourceName));
        var allocated = new EndpointReference(resource, endpointName, replica).Allocated()
            ?? throw new InvalidOperationException($"Endpoint '{endpointName}' of '{resourceName}' replica {replica} is not allocated; start the app first.");
        return new Uri(allocated.Url);
    }

    public HttpClient CreateHttpClient(string resourceName, string endpointName = "http", int replica = 0) =>
        new() { BaseAddress = GetEndpoint(resourceName, endpointName, replica) };

    /// <summary>The supervised process id of an instance (<c>api</c>, <c>realtime-1</c>), or null when it is not running.</summary>
    public int? GetProcessId(string instanceName) => Instance(instanceName).Process is { HasExited: false } process ? process.Id : null;

    public IReadOnlyList<string> GetLogs(string instanceName) => [.. Instance(instanceName).Logs.ReadAfter(0).Select(l => l.Text)];

    /// <summary>A crash of one instance: kill -9 (PostgreSQL: an immediate shutdown, SIGQUIT).</summary>
    public void KillInstance(string instanceName) => _orchestrator.Kill(Instance(instanceName));

    /// <summary>SIGSTOP of one instance, as a hung server: connections stay open, nothing is answered, until <see cref="ThawInstance"/>.</summary>
    public void FreezeInstance(string instanceName) => _orchestrator.Freeze(Instance(instanceName));

    public void ThawInstance(string instanceName) => _orchestrator.Thaw(Instance(instanceName));

    public void StartInstance(string instanceName) => _orchestrator.StartInstance(Instance(instanceName));

    public Task StopInstanceAsync(string instanceName) => _orchestrator.StopInstanceAsync(Instance(instanceName));

    private ResourceInstance Instance(string instanceName) =>
        _orchestrator.Find(instanceName) ?? throw new ArgumentException($"There is no resource instance named '{instanceName}'.", nameof(instanceName));
}
