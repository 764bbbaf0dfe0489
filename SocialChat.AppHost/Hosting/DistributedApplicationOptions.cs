namespace Aspire.Hosting;

/// <summary>How this run of the app host behaves, from its command line (Aspire's switches where Aspire has them).</summary>
public sealed class DistributedApplicationOptions
{
    public const int DefaultDashboardPort = 18888;

    /// <summary>Where generated secrets, PostgreSQL and Redis data, pid files and logs live between runs.</summary>
    public required string StateDirectory { get; init; }

    /// <summary><c>--port api=6080</c>: moves a fixed development port when it is taken.</summary>
    public Dictionary<string, int> PortOverrides { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int? DashboardPort { get; set; } = DefaultDashboardPort;

    /// <summary>Tests ask for free ports everywhere so runs never collide.</summary>
    public bool RandomizePorts { get; set; }

    /// <summary><c>--publisher manifest --output-path …</c>: write the deployment manifest instead of running.</summary>
    public string? Publisher { get; set; }

    public string? OutputPath { get; set; }

    /// <summary>Where PostgreSQL and Redis binaries are looked up, beside PATH (tests point it at an empty folder).</summary>
    public IReadOnlyList<string>? BinarySearchPaths { get; set; }

    /// <summary>A throw-away state folder (tests) is deleted when the app stops.</summary>
    public bool DeleteStateDirectoryOnStop { get; set; }

    /// <summary>Set by the testing builder: the entry point's <c>Build()</c> hands the builder to the test instead.</summary>
    internal bool CaptureBuilderAtBuild { get; init; }

    public static DistributedApplicationOptions FromArgs(string[] args)
    {
        var parsed = new DistributedApplicationOptions
        {
            StateDirectory = ArgValue(args, "--state-dir") ?? Environment.GetEnvironmentVariable("SOCIALCHAT_STATE_DIR") ?? DefaultStateDirectory(),
            Publisher = ArgValue(args, "--publisher"),
            OutputPath = ArgValue(args, "--output-path"),
        };

        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] != "--port")
            {
                continue;
            }

            var parts = args[i + 1].Split('=', 2);
            if (parts.Length != 2 || !int.TryParse(parts[1], out var port) || port is < 1 or > 65535)
            {
                throw new DistributedApplicationException($"'--port {args[i + 1]}' is not valid: write --port <resource>=<port>, e.g. --port api=6080.");
            }

            if (parts[0].Equals("dashboard", StringComparison.OrdinalIgnoreCase))
            {
                parsed.DashboardPort = port;
            }
            else
            {
                parsed.PortOverrides[parts[0]] = port;
            }
        }

        return parsed;
    }

    private static string? ArgValue(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index < args.Length - 1 ? args[index + 1] : null;
    }

    // The repository's .state folder (git-ignored): found by walking up from the app host's build output.
    private static string DefaultStateDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocialChat.sln")))
            {
                return Path.Combine(directory.FullName, ".state");
            }
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".socialchat");
    }
}
