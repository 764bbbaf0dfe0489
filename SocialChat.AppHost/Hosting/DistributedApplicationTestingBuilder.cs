using System.Reflection;
using System.Runtime.ExceptionServices;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Testing;

/// <summary>The app host's builder, handed to a test before it is built, as Aspire.Hosting.Testing hands it.</summary>
public interface IDistributedApplicationTestingBuilder : IDistributedApplicationBuilder
{
    Task<DistributedApplication> BuildAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// What Aspire.Hosting.Testing offers. <see cref="CreateAsync{TEntryPoint}"/> runs the app host's own entry
/// point until its <c>builder.Build()</c> and captures the builder there (Aspire's HostFactoryResolver does the
/// same), so a test gets exactly the graph Program.cs declares — with free ports everywhere, no dashboard
/// and a throw-away state folder — and may change it (extra environment, options) before building it.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    private static readonly AsyncLocal<DistributedApplicationOptions?> EntryPointOptions = new();

    public static Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(string[]? args = null, CancellationToken cancellationToken = default)
        where TEntryPoint : class
    {
        cancellationToken.ThrowIfCancellationRequested();
        var options = new DistributedApplicationOptions
        {
            StateDirectory = Directory.CreateTempSubdirectory("socialchat-test-").FullName,
            RandomizePorts = true,
            DashboardPort = null,
            DeleteStateDirectoryOnStop = true,
            CaptureBuilderAtBuild = true,
        };
        return Task.FromResult<IDistributedApplicationTestingBuilder>(new TestingBuilder(RunEntryPointUntilBuild(typeof(TEntryPoint).Assembly, args ?? [], options)));
    }

    /// <summary>The options <c>DistributedApplication.CreateBuilder</c> uses while a test runs the entry point.</summary>
    internal static DistributedApplicationOptions? OptionsForEntryPoint => EntryPointOptions.Value;

    private static DistributedApplicationBuilder RunEntryPointUntilBuild(Assembly appHost, string[] args, DistributedApplicationOptions options)
    {
        var entryPoint = appHost.EntryPoint ?? throw new InvalidOperationException($"{appHost.GetName().Name} has no entry point.");
        EntryPointOptions.Value = options;
        try
        {
            entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : [args]);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is BuilderCapturedException captured)
        {
            return captured.Builder;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(exception.InnerException);
        }
        finally
        {
            EntryPointOptions.Value = null;
        }

        throw new InvalidOperationException($"The entry point of {appHost.GetName().Name} returned without calling builder.Build().");
    }

    private sealed class TestingBuilder(DistributedApplicationBuilder inner) : IDistributedApplicationTestingBuilder
    {
        public DistributedApplicationOptions Options => inner.Options;

        public IList<IResource> Resources => inner.Resources;

        public IResourceBuilder<T> AddResource<T>(T resource) where T : IResource => inner.AddResource(resource);

        public IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource => inner.CreateResourceBuilder(resource);

        public DistributedApplication Build() => inner.BuildApplication();

        public Task<DistributedApplication> BuildAsync(CancellationToken cancellationToken = default) => Task.FromResult(Build());
    }
}

/// <summary>Ends a test's run of the app host's entry point at <c>builder.Build()</c>, carrying the builder out.</summary>
internal sealed class BuilderCapturedException(DistributedApplicationBuilder builder)
    : Exception("The testing builder stops the app host's entry point at Build().")
{
    public DistributedApplicationBuilder Builder { get; } = builder;
}
