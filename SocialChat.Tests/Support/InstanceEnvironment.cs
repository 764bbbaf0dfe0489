using Aspire.Hosting;

namespace SocialChat.Tests.Support;

public static class InstanceEnvironment
{
    /// <summary>A variable of a running instance's environment, secrets included (e.g. <c>Jwt__SigningKey</c> of "api").</summary>
    public static string EnvironmentOf(this DistributedApplication app, string instanceName, string variable)
    {
        var pid = app.GetProcessId(instanceName) ?? throw new InvalidOperationException($"{instanceName} is not running.");
        return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Single(e => e.StartsWith($"{variable}=", StringComparison.Ordinal))[(variable.Length + 1)..];
    }
}
