using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Orchestration;

/// <summary>
/// Runs the app model on this machine: allocates ports, starts each replica as a supervised process in
/// WaitFor order, injects its environment, captures its output, polls its health, and stops everything in
/// reverse order. Every change goes out on the <see cref="ResourceNotificationService"/>.
/// </summary>
internal sealed class Orchestrator
{
    private static readonly TimeSpan HealthPollUntilHealthy = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthPollWhenHealthy = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly DistributedApplicationOptions _options;
    private readonly IReadOnlyList<IResource> _resources;
    private readonly ResourceNotificationService _notifications;
    private readonly Prerequisites _prerequisites;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly HttpClient _healthClient = new() { Timeout = TimeSpan.FromSeconds(2) };
    private FileStream? _stateLock;

    public Orchestrator(DistributedApplicationOptions options, IReadOnlyList<IResource> resources, ResourceNotificationService notifications)
    {
        _options = options;
        _resources = resources;
        _notifications = notifications;
        _prerequisites = new Prerequisites(options.BinarySearchPaths);
        Instances = [.. resources.SelectMany(CreateInstances)];
    }

    public IReadOnlyList<ResourceInstance> Instances { get; }

    /// <summary>
    /// Set when the app host handles Ctrl+C itself: each process then gets a session of its own, so the terminal's
    /// SIGINT reaches only the app host, which stops everything in order. Under a test host they stay in its
    /// process group, so a Ctrl+C that ends the test run ends them too.
    /// </summary>
    public bool DetachFromTerminal { get; set; }

    private string RunDirectory => Path.Combine(_options.StateDirectory, "run");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        PrepareStateDirectory();
        LockStateDirectory();
        ParameterStore.Resolve(_resources.OfType<ParameterResource>(), _options.StateDirectory);
        await StopLeftoversOfEarlierRunAsync();
        CheckPrerequisites();
        AllocateEndpoints();

        foreach (var instance in Instances)
        {
            instance.Update(s => s with { Urls = UrlsOf(instance) });
        }

        foreach (var instance in Instances)
        {
            instance.Supervision = Task.Run(() => SuperviseAsync(instance, _shutdown.Token), cancellationToken);
        }
    }

    /// <summary>
    /// Dependents before what they depend on — Realtime, Api, Worker, then Redis, then PostgreSQL — the replicas
    /// of one resource together. Reverse declaration order is a reverse dependency order, because a resource can
    /// only reference or wait for a resource declared before it.
    /// </summary>
    public async Task StopAsync()
    {
        await _shutdown.CancelAsync();
        foreach (var replicas in Instances.GroupBy(i => i.Resource).Reverse())
        {
            await Task.WhenAll(replicas.Select(StopInstanceAsync));
        }

        _stateLock?.Dispose();
    }

    public ResourceInstance? Find(string name) =>
        Instances.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));

    public async Task StopInstanceAsync(ResourceInstance instance)
    {
        await instance.Lifetime.CancelAsync();
        if (instance.Process is { HasExited: false } process)
        {
            instance.StopRequested = true;
            instance.Update(s => s with { State = KnownResourceStates.Stopping });
            Posix.Signal(process.Id, StopSignalOf(instance.Resource));
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        // Stopped means its final state is published, so the next resource in the stop order starts after it.
        await instance.Supervision.WaitAsync(StopTimeout).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Starts a stopped or exited instance again (the dashboard's Start and Restart).</summary>
    public void StartInstance(ResourceInstance instance)
    {
        // Still waiting, starting or running: there is nothing to start.
        if (!KnownResourceStates.IsTerminal(instance.Snapshot.State) && !instance.Supervision.IsCompleted)
        {
            return;
        }

        // The last supervisor may still be finishing after publishing its final state; the new one follows it.
        var previous = instance.Supervision;
        instance.Lifetime = new CancellationTokenSource();
        instance.StopRequested = false;
        // Leaves the terminal state at once, so a wait for health that begins now does not read the last run's end.
        instance.Update(s => s with { State = KnownResourceStates.NotStarted, ExitCode = null, Restarts = s.Restarts + 1 });
        instance.Supervision = Task.Run(async () =>
        {
            await previous;
            await SuperviseAsync(instance, _shutdown.Token);
        });
    }

    /// <summary>
    /// A crash, for tests of what survives one: kill -9, except PostgreSQL, which gets SIGQUIT (pg_ctl's immediate
    /// shutdown: sessions dropped, no checkpoint, crash recovery at the next start), because a SIGKILLed postmaster
    /// leaves its backends running and its next start refused.
    /// </summary>
    public void Kill(ResourceInstance instance) =>
        Signal(instance, instance.Resource is PostgresServerResource ? Posix.SigQuit : Posix.SigKill);

    /// <summary>SIGSTOP: the process keeps its sockets but answers nothing, as a hung server does.</summary>
    public void Freeze(ResourceInstance instance) => Signal(instance, Posix.SigStop);

    public void Thaw(ResourceInstance instance) => Signal(instance, Posix.SigCont);

    private static void Signal(ResourceInstance instance, int signal)
    {
        if (instance.Process is { HasExited: false } process)
        {
            Posix.Signal(process.Id, signal);
        }
    }

    private IEnumerable<ResourceInstance> CreateInstances(IResource resource)
    {
        var replicas = resource.ReplicaCount();
        for (var replica = 0; replica < replicas; replica++)
        {
            yield return new ResourceInstance(resource, replica, replicas == 1 ? resource.Name : $"{resource.Name}-{replica}", _notifications);
        }
    }

    private void PrepareStateDirectory()
    {
        Directory.CreateDirectory(RunDirectory);
        // The postgres system user must be able to reach its data folder below the state folder.
        File.SetUnixFileMode(_options.StateDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    // Two app hosts on one state folder would share PostgreSQL's data folder, and each would take the other's
    // processes for leftovers of a killed run. .NET locks a FileShare.None file with flock, which dies with its holder.
    private void LockStateDirectory()
    {
        try
        {
            _stateLock = new FileStream(Path.Combine(RunDirectory, "apphost.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new DistributedApplicationException(
                $"Another app host is running on the state folder {_options.StateDirectory}. Stop it first (Ctrl+C in its terminal), " +
                "or start this one on a folder of its own: dotnet run --project SocialChat.AppHost -- --state-dir <folder>");
        }
    }

    private void CheckPrerequisites()
    {
        if (_resources.OfType<PostgresServerResource>().Any())
        {
            _ = _prerequisites.PostgresBinDirectory;
        }

        if (_resources.OfType<RedisResource>().Any())
        {
            _ = _prerequisites.RedisServer;
        }
    }

    private void AllocateEndpoints()
    {
        foreach (var instance in Instances)
        {
            foreach (var endpoint in instance.Resource.AnnotationsOf<EndpointAnnotation>())
            {
                var fixedPort = _options.PortOverrides.TryGetValue(instance.Resource.Name, out var overridden)
                    ? overridden
                    : _options.RandomizePorts ? null : endpoint.Port;
                int port;
                if (fixedPort is { } basePort)
                {
                    port = basePort + instance.Replica;
                    PortAllocator.EnsureFree(port, instance.Resource.Name);
                }
                else
                {
                    port = PortAllocator.FreePort();
                }

                endpoint.AllocatedEndpoints[instance.Replica] = new AllocatedEndpoint(endpoint.UriScheme, "127.0.0.1", port);
            }
        }
    }

    private static IReadOnlyList<string> UrlsOf(ResourceInstance instance) =>
        [.. instance.Resource.AnnotationsOf<EndpointAnnotation>().Select(e => e.AllocatedEndpoints[instance.Replica].Url)];

    private async Task SuperviseAsync(ResourceInstance instance, CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, instance.Lifetime.Token);
        var cancellationToken = linked.Token;
        try
        {
            await WaitForDependenciesAsync(instance, cancellationToken);
            instance.Update(s => s with { State = KnownResourceStates.Starting, ExitCode = null, StoppedAt = null, Health = HealthStatus.Unknown });

            switch (instance.Resource)
            {
                case ParameterResource:
                    instance.Update(s => s with { State = KnownResourceStates.Running, Health = HealthStatus.Healthy, StartedAt = DateTime.UtcNow });
                    return;
                case PostgresDatabaseResource database:
                    await CreateDatabaseAsync(instance, database, cancellationToken);
                    return;
            }

            var spec = await ProcessSpecs.BuildAsync(instance, _options, _prerequisites, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            var process = StartProcess(instance, spec);
            RecordPid(instance, process);

            // A stop that came while the process was being prepared found no process to signal: signal it here.
            // (StopInstanceAsync cancels before it looks at Process, so one of the two always sees the other.)
            if (cancellationToken.IsCancellationRequested)
            {
                instance.StopRequested = true;
                Posix.Signal(process.Id, StopSignalOf(instance.Resource));
            }

            instance.Update(s => s with
            {
                State = KnownResourceStates.Running,
                Pid = process.Id,
                StartedAt = DateTime.UtcNow,
                Environment = Mask(spec.Environment, instance.Resource),
            });

            using var healthPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var health = PollHealthAsync(instance, healthPolling.Token);
            await process.WaitForExitAsync(CancellationToken.None);
            await healthPolling.CancelAsync();
            await health.ContinueWith(_ => { }, TaskScheduler.Default);
            ForgetPid(instance);
            var exitCode = process.ExitCode;
            if (exitCode != 0 && !instance.StopRequested && instance.Snapshot.Health != HealthStatus.Healthy
                && ProcessSpecs.StartFailureHint(instance.Resource, _options) is { } hint)
            {
                instance.Logs.Append(hint, isError: true);
            }

            instance.Update(s => s with
            {
                State = instance.StopRequested || exitCode == 0 ? KnownResourceStates.Finished : KnownResourceStates.Exited,
                ExitCode = exitCode,
                StoppedAt = DateTime.UtcNow,
                Health = HealthStatus.Unknown,
                Pid = null,
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (!KnownResourceStates.IsTerminal(instance.Snapshot.State) && instance.Process is null or { HasExited: true })
            {
                instance.Update(s => s with { State = KnownResourceStates.Finished, Health = HealthStatus.Unknown });
            }
        }
        catch (Exception exception)
        {
            instance.Logs.Append(exception is DistributedApplicationException ? exception.Message : exception.ToString(), isError: true);
            instance.Update(s => s with { State = KnownResourceStates.FailedToStart, Health = HealthStatus.Unhealthy, HealthDescription = exception.Message });
        }
    }

    private async Task WaitForDependenciesAsync(ResourceInstance instance, CancellationToken cancellationToken)
    {
        var waits = instance.Resource.AnnotationsOf<WaitAnnotation>().ToList();
        if (instance.Resource is PostgresDatabaseResource database)
        {
            waits.Add(new WaitAnnotation(database.Parent, WaitType.WaitUntilHealthy));
        }

        if (waits.Count == 0)
        {
            return;
        }

        instance.Update(s => s with { State = KnownResourceStates.Waiting });
        foreach (var wait in waits)
        {
            try
            {
                await (wait.WaitType == WaitType.WaitForCompletion
                    ? _notifications.WaitForResourceAsync(wait.Resource.Name, CompletedSuccessfully, cancellationToken)
                    : _notifications.WaitForResourceHealthyAsync(wait.Resource.Name, cancellationToken));
            }
            catch (DistributedApplicationException exception)
            {
                throw new DistributedApplicationException($"Not started, because it waits for '{wait.Resource.Name}': {exception.Message}");
            }
        }
    }

    private static bool CompletedSuccessfully(ResourceSnapshot snapshot) => snapshot.State switch
    {
        KnownResourceStates.Finished when snapshot.ExitCode is null or 0 => true,
        _ when KnownResourceStates.IsTerminal(snapshot.State) => throw new DistributedApplicationException(
            $"Resource '{snapshot.Name}' is {snapshot.State}{(snapshot.ExitCode is { } code ? $" (exit code {code})" : "")}; it did not complete successfully."),
        _ => false,
    };

    private Process StartProcess(ResourceInstance instance, ProcessSpec spec)
    {
        // setsid execs in place, so the pid we supervise and signal stays the server's own.
        var startInfo = new ProcessStartInfo(DetachFromTerminal ? "setsid" : spec.FileName, DetachFromTerminal ? [spec.FileName, .. spec.Arguments] : spec.Arguments)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in spec.Environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                instance.Logs.Append(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                instance.Logs.Append(e.Data, isError: true);
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        instance.Process = process;
        return process;
    }

    private async Task PollHealthAsync(ResourceInstance instance, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && instance.Process is { HasExited: false })
        {
            var (healthy, description) = await HealthProbes.CheckAsync(instance, _healthClient, cancellationToken);
            var state = healthy || instance.Snapshot.Health != HealthStatus.Healthy ? KnownResourceStates.Running : KnownResourceStates.RuntimeUnhealthy;
            if (instance.Process is { HasExited: false } && (instance.Snapshot.Health != (healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy) || instance.Snapshot.State != state))
            {
                instance.Update(s => s with
                {
                    State = state,
                    Health = healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy,
                    HealthDescription = description,
                });
            }

            await Task.Delay(healthy ? HealthPollWhenHealthy : HealthPollUntilHealthy, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>As Aspire does once PostgreSQL is healthy: CREATE DATABASE for each declared database.</summary>
    private static async Task CreateDatabaseAsync(ResourceInstance instance, PostgresDatabaseResource database, CancellationToken cancellationToken)
    {
        var serverConnectionString = await database.Parent.ConnectionStringExpression.GetValueAsync(cancellationToken);
        await using var connection = new Npgsql.NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{database.DatabaseName}\"";
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            instance.Logs.Append($"Created database '{database.DatabaseName}'.");
        }
        catch (Npgsql.PostgresException exception) when (exception.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
        {
            instance.Logs.Append($"Database '{database.DatabaseName}' already exists.");
        }

        instance.Update(s => s with { State = KnownResourceStates.Running, Health = HealthStatus.Healthy, StartedAt = DateTime.UtcNow });
    }

    private static int StopSignalOf(IResource resource) => resource switch
    {
        // SIGINT is PostgreSQL's "fast" shutdown: abort sessions, checkpoint, exit.
        PostgresServerResource => Posix.SigInt,
        _ => Posix.SigTerm,
    };

    private static IReadOnlyDictionary<string, string> Mask(IReadOnlyDictionary<string, string> environment, IResource resource)
    {
        var secrets = resource.AnnotationsOf<EnvironmentCallbackAnnotation>().Any() ? SecretValues(environment) : [];
        return environment
            .Where(e => ProcessSpecs.IsInjected(e.Key))
            .ToDictionary(e => e.Key, e => secrets.Aggregate(e.Value, (value, secret) => value.Replace(secret, "****", StringComparison.Ordinal)));
    }

    private static List<string> SecretValues(IReadOnlyDictionary<string, string> environment) =>
        [.. environment.Where(e => e.Key.EndsWith("PASSWORD", StringComparison.Ordinal) || e.Key.Contains("SigningKey", StringComparison.Ordinal))
            .Select(e => e.Value).Where(v => v.Length > 0)];

    // A pid file per running process lets the next run stop what a killed app host left behind.
    private void RecordPid(ResourceInstance instance, Process process) =>
        File.WriteAllText(Path.Combine(RunDirectory, $"{instance.Name}.pid"),
            string.Create(CultureInfo.InvariantCulture, $"{process.Id} {Posix.StartTimeOf(process.Id)}"));

    private void ForgetPid(ResourceInstance instance) => File.Delete(Path.Combine(RunDirectory, $"{instance.Name}.pid"));

    private async Task StopLeftoversOfEarlierRunAsync()
    {
        // Dependents first, as in a normal stop, so no service outlives the database it was using.
        var stopOrder = Instances.Select(i => $"{i.Name}.pid").Reverse().ToList();
        foreach (var pidFile in Directory.GetFiles(RunDirectory, "*.pid").OrderBy(file => stopOrder.IndexOf(Path.GetFileName(file))))
        {
            var parts = File.ReadAllText(pidFile).Split(' ');
            if (parts.Length == 2 && int.TryParse(parts[0], out var pid) && Posix.StartTimeOf(pid)?.ToString(CultureInfo.InvariantCulture) == parts[1])
            {
                var name = Path.GetFileNameWithoutExtension(pidFile);
                Console.WriteLine($"Stopping '{name}' (pid {pid}) left running by an earlier app host.");
                Posix.Signal(pid, Find(name)?.Resource is PostgresServerResource ? Posix.SigInt : Posix.SigKill);
                for (var waited = 0; waited < 100 && Posix.IsAlive(pid); waited++)
                {
                    await Task.Delay(100);
                }

                if (Posix.IsAlive(pid))
                {
                    Posix.Signal(pid, Posix.SigKill);
                }
            }

            File.Delete(pidFile);
        }
    }

    internal static string BuildConfiguration =>
        typeof(Orchestrator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BuildConfiguration").Value!;

    internal static string TargetFramework =>
        typeof(Orchestrator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TargetFramework").Value!;
}
