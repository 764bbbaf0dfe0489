using System.Reflection;

namespace Aspire.Hosting.Testing;

/// <summary>
/// What Aspire.Hosting.Testing offers: the app host's own Program.cs builds the graph, and the test gets
/// it with free ports everywhere, no dashboard and a throw-away state folder.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static DistributedApplication Create<TEntryPoint>(
        Action<IDistributedApplicationBuilder>? configure = null, Action<DistributedApplicationOptions>? configureOptions = null)
        where TEntryPoint : class =>
        Create(typeof(TEntryPoint).Assembly, configure, configureOptions);

    public static DistributedApplication Create(
        Assembly appHost, Action<IDistributedApplicationBuilder>? configure = null, Action<DistributedApplicationOptions>? configureOptions = null)
    {
        var options = new DistributedApplicationOptions
        {
            StateDirectory = Directory.CreateTempSubdirectory("socialchat-test-").FullName,
            RandomizePorts = true,
            DashboardPort = null,
            DeleteStateDirectoryOnStop = true,
        };
        configureOptions?.Invoke(options);
        return DistributedApplication.BuildFromEntryPoint(appHost, [], new TestingHooks { Options = options, ConfigureBuilder = configure });
    }
}
