using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace SocialChat.Tests.Deployment;

/// <summary>What <c>main-vps/deploy.sh</c> publishes is what the systemd units start, compiled ahead of time.</summary>
public sealed partial class DeployScriptTests
{
    [Fact]
    public async Task Publishing_only_puts_every_assembly_a_unit_starts_in_its_folder_ReadyToRun()
    {
        var output = Directory.CreateTempSubdirectory("socialchat-publish-").FullName;
        try
        {
            await BundleServers.RunAsync("bash", Path.Combine(BundleServers.Bundles, "main-vps", "deploy.sh"), "--publish-only", output);

            var started = Directory.GetFiles(Path.Combine(BundleServers.Bundles, "main-vps", "systemd"), "socialchat-*.service")
                .Select(unit => UnitAssembly().Match(File.ReadAllText(unit)))
                .Select(match => Path.Combine(output, match.Groups["service"].Value, match.Groups["assembly"].Value))
                .ToList();
            Assert.Equal(3, started.Count);
            foreach (var assembly in started)
            {
                Assert.True(File.Exists(assembly), $"{assembly} was not published");
                using var image = new PEReader(File.OpenRead(assembly));
                // crossgen2 points the CLI header's managed native header at the ReadyToRun header; IL-only images have none.
                Assert.True(image.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} is IL only, not ReadyToRun");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [GeneratedRegex(@"ExecStart=.*/opt/socialchat/(?<service>[a-z]+)/(?<assembly>SocialChat\.[A-Za-z]+\.dll)")]
    private static partial Regex UnitAssembly();
}
