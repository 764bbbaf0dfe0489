using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Orchestration;

internal sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment);

/// <summary>How each kind of resource becomes a process in development: PostgreSQL, Redis, a .NET project.</summary>
internal static class ProcessSpecs
{
    private const string PostgresSystemUser = "postgres";

    private static readonly string[] InjectedPrefixes =
        ["ConnectionStrings__", "services__", "OTEL_", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Jwt__", "Parameters__"];

    /// <summary>Whether a variable is one the app host set (shown on the dashboard) rather than inherited.</summary>
    public static bool IsInjected(string key) =>
        InjectedPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)) || key.Contains("_HOST", StringComparison.Ordinal)
        || key.EndsWith("_PORT", StringComparison.Ordinal) || key.EndsWith("_PASSWORD", StringComparison.Ordinal)
        || key.EndsWith("_URI", StringComparison.Ordinal) || key.EndsWith("_USERNAME", StringComparison.Ordinal)
        || key.EndsWith("_DATABASE", StringComparison.Ordinal);

    public static async Task<ProcessSpec> BuildAsync(
        ResourceInstance instance, DistributedApplicationOptions options, Prerequisites prerequisites, CancellationToken cancellationToken) =>
        instance.Resource switch
        {
            PostgresServerResource postgres => await PostgresAsync(instance, postgres, options, prerequisites, cancellationToken),
            RedisResource redis => Redis(instance, redis, options, prerequisites),
            ProjectResource project => await ProjectAsync(instance, project, options, cancellationToken),
            _ => throw new InvalidOperationException($"No process is defined for resource type {instance.Resource.GetType().Name}."),
        };

    private static async Task<ProcessSpec> PostgresAsync(
        ResourceInstance instance, PostgresServerResource postgres, DistributedApplicationOptions options, Prerequisites prerequisites,
        CancellationToken cancellationToken)
    {
        var binDirectory = prerequisites.PostgresBinDirectory;
        var dataDirectory = DataDirectoryOf(postgres, options, "postgres-data");
        var asUser = Posix.IsRoot ? await PostgresUserAsync(instance, cancellationToken) : null;

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            {
                throw new DistributedApplicationException(
                    $"The PostgreSQL data folder {dataDirectory} is not a database cluster (it has no PG_VERSION). Move it away, or delete it to start with an empty database.");
            }

            await InitializeClusterAsync(instance, postgres, binDirectory, dataDirectory, asUser, cancellationToken);
        }

        RemoveStaleLockFile(instance, dataDirectory);
        var port = postgres.PrimaryEndpoint.Allocated()!.Port.ToString(CultureInfo.InvariantCulture);
        // TCP on loopback only; the Unix socket (for psql -h <data folder>) stays inside the state folder too,
        // unless its path would pass the kernel's 107-byte limit for socket paths.
        var socketDirectory = $"{dataDirectory}/.s.PGSQL.{port}".Length < 107 ? dataDirectory : "";
        // Here every service connects straight to PostgreSQL (PgBouncer is the VPS's), each with Npgsql's default
        // pool of up to 100, and a connect burst fills a pool: Api, Worker and the Realtime replicas (six in a
        // benchmark), with the load tool and the benchmark peers beside them, must all fit.
        string[] arguments = ["-D", dataDirectory, "-p", port, "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={socketDirectory}", "-c", "max_connections=1000"];
        return AsUser(asUser, Path.Combine(binDirectory, "postgres"), arguments, dataDirectory);
    }

    /// <summary>What to do when a server stops before it ever became healthy; printed under its log.</summary>
    public static string? StartFailureHint(IResource resource, DistributedApplicationOptions options) => resource switch
    {
        PostgresServerResource => $"PostgreSQL stopped before it accepted connections; its log above says why. If its data folder " +
            $"{DataDirectoryOf(resource, options, "postgres-data")} is damaged, move it away (or delete it to start with an empty database) and start again.",
        RedisResource => $"Redis stopped before it answered PING; its log above says why. If its data folder " +
            $"{DataDirectoryOf(resource, options, "redis-data")} is damaged, move it away (or delete it) and start again.",
        _ => null,
    };

    private static async Task InitializeClusterAsync(
        ResourceInstance instance, PostgresServerResource postgres, string binDirectory, string dataDirectory, string? asUser,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var passwordFile = Path.Combine(Path.GetDirectoryName(dataDirectory)!, $"{postgres.Name}.pwfile");
        await File.WriteAllTextAsync(passwordFile, postgres.PasswordParameter.Value, cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            if (asUser is not null)
            {
                await RunAsync(instance, "chown", ["-R", $"{asUser}:", dataDirectory, passwordFile], cancellationToken);
            }

            var initdb = AsUser(asUser, Path.Combine(binDirectory, "initdb"),
                ["-D", dataDirectory, "-U", PostgresServerResource.DefaultUserName, $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
                dataDirectory);
            await RunAsync(instance, initdb.FileName, initdb.Arguments, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    // A postmaster.pid whose process is gone (the app host was killed with its PostgreSQL) would stop a new start.
    private static void RemoveStaleLockFile(ResourceInstance instance, string dataDirectory)
    {
        var lockFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (File.Exists(lockFile) && int.TryParse(File.ReadLines(lockFile).FirstOrDefault(), out var pid) && !Posix.IsAlive(pid))
        {
            instance.Logs.Append($"Removing stale {lockFile} of process {pid}, which is no longer running.");
            File.Delete(lockFile);
        }
    }

    /// <summary>PostgreSQL refuses to run as root: use the postgres system user, creating it when missing.</summary>
    private static async Task<string> PostgresUserAsync(ResourceInstance instance, CancellationToken cancellationToken)
    {
        if (!File.ReadLines("/etc/passwd").Any(line => line.StartsWith($"{PostgresSystemUser}:", StringComparison.Ordinal)))
        {
            await RunAsync(instance, "useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PostgresSystemUser], cancellationToken);
        }

        return PostgresSystemUser;
    }

    private static ProcessSpec Redis(ResourceInstance instance, RedisResource redis, DistributedApplicationOptions options, Prerequisites prerequisites)
    {
        var dataDirectory = DataDirectoryOf(redis, options, "redis-data");
        Directory.CreateDirectory(dataDirectory);
        var configFile = Path.Combine(dataDirectory, "redis.conf");
        // AOF only, like a data volume that survives restarts; RDB snapshots would just duplicate it.
        File.WriteAllLines(configFile,
        [
            "bind 127.0.0.1",
            $"port {redis.PrimaryEndpoint.Allocated()!.Port}",
            $"requirepass {redis.PasswordParameter.Value}",
            $"dir {dataDirectory}",
            "appendonly yes",
            "save \"\"",
            "daemonize no",
            "protected-mode yes",
        ]);
        File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        instance.Logs.Append($"Redis data and AOF in {dataDirectory}");
        return new ProcessSpec(prerequisites.RedisServer, [configFile], dataDirectory, new Dictionary<string, string>());
    }

    private static async Task<ProcessSpec> ProjectAsync(
        ResourceInstance instance, ProjectResource project, DistributedApplicationOptions options, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = string.Join(';', project.AnnotationsOf<EndpointAnnotation>().Select(e => e.AllocatedEndpoints[instance.Replica].Url)),
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instance.Name}",
        };

        foreach (var (key, value) in OtlpExporterEnvironment.For(options))
        {
            environment[key] = value;
        }

        foreach (var callback in project.AnnotationsOf<EnvironmentCallbackAnnotation>())
        {
            var context = new EnvironmentCallbackContext(project, instance.Replica);
            await callback.Callback(context);
            foreach (var (key, value) in context.EnvironmentVariables)
            {
                environment[key] = await ResolveAsync(value, cancellationToken);
            }
        }

        var projectDirectory = Path.GetDirectoryName(project.Project.ProjectPath)!;
        var assemblyName = Path.GetFileNameWithoutExtension(project.Project.ProjectPath);
        var assembly = Path.Combine(projectDirectory, "bin", Orchestrator.BuildConfiguration, Orchestrator.TargetFramework, $"{assemblyName}.dll");
        string[] arguments = File.Exists(assembly)
            ? [assembly]
            : ["run", "--project", project.Project.ProjectPath, "--no-launch-profile", "-c", Orchestrator.BuildConfiguration];
        return new ProcessSpec("dotnet", arguments, projectDirectory, environment);
    }

    private static async Task<string> ResolveAsync(object value, CancellationToken cancellationToken) => value switch
    {
        string text => text,
        IValueProvider provider => await provider.GetValueAsync(cancellationToken) ?? string.Empty,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static string DataDirectoryOf(IResource resource, DistributedApplicationOptions options, string defaultName) =>
        Path.GetFullPath(Path.Combine(options.StateDirectory, resource.AnnotationsOf<DataDirectoryAnnotation>().LastOrDefault()?.Path ?? defaultName));

    private static ProcessSpec AsUser(string? user, string fileName, IReadOnlyList<string> arguments, string workingDirectory) =>
        user is null
            ? new ProcessSpec(fileName, arguments, workingDirectory, new Dictionary<string, string>())
            // setpriv execs in place, so the pid we supervise and signal is PostgreSQL's own.
            : new ProcessSpec("setpriv", ["--reuid", user, "--regid", user, "--init-groups", "--", fileName, .. arguments], workingDirectory, new Dictionary<string, string>());

    private static async Task RunAsync(ResourceInstance instance, string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        foreach (var line in (await output + await error).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            instance.Logs.Append(line);
        }

        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException($"'{Path.GetFileName(fileName)}' failed with exit code {process.ExitCode}; see the log of '{instance.Name}'.");
        }
    }
}
