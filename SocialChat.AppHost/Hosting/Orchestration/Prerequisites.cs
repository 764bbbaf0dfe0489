namespace Aspire.Hosting.Orchestration;

/// <summary>Finds the server binaries the dev topology runs, or says exactly how to install them.</summary>
internal sealed class Prerequisites(IReadOnlyList<string>? searchPaths)
{
    private const string InstallHint = "Run scripts/install-prerequisites.sh, or as root: apt-get install -y postgresql redis-server";

    public string PostgresBinDirectory => _postgres.Value;

    public string RedisServer => _redis.Value;

    private readonly Lazy<string> _postgres = new(() =>
        Candidates(searchPaths, "/usr/lib/postgresql").FirstOrDefault(dir => File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb")))
        ?? throw new DistributedApplicationException(
            $"PostgreSQL server binaries (postgres, initdb) were not found on PATH or under /usr/lib/postgresql/*/bin. {InstallHint}"));

    private readonly Lazy<string> _redis = new(() =>
        Candidates(searchPaths, libraryRoot: null).Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists)
        ?? throw new DistributedApplicationException($"redis-server was not found on PATH. {InstallHint}"));

    private static IEnumerable<string> Candidates(IReadOnlyList<string>? searchPaths, string? libraryRoot)
    {
        if (searchPaths is not null)
        {
            return searchPaths;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        var versioned = libraryRoot is not null && Directory.Exists(libraryRoot)
            ? Directory.GetDirectories(libraryRoot).OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin"))
            : [];
        // Debian's /usr/local/bin symlinks point into /usr/lib/postgresql/N/bin, where initdb also lives.
        return path.Select(ResolveLinkedDirectory).Concat(versioned);
    }

    private static string ResolveLinkedDirectory(string directory)
    {
        var postgres = new FileInfo(Path.Combine(directory, "postgres"));
        return postgres.Exists && postgres.LinkTarget is not null
            ? Path.GetDirectoryName(postgres.ResolveLinkTarget(returnFinalTarget: true)!.FullName)!
            : directory;
    }
}
