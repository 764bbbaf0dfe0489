using System.Text.Json;

namespace SocialChat.Tests.Deployment;

/// <summary>The committed deployment output is what the app host generates, in Aspire's manifest shape.</summary>
public sealed class ManifestTests
{
    private static readonly string RepositoryRoot = TestEnvironment.RepositoryRoot;
    private static readonly string CommittedDirectory = Path.Combine(RepositoryRoot, "aspire-manifest");

    [Fact]
    public void Regenerating_the_manifest_and_bundles_reproduces_the_committed_files_byte_for_byte()
    {
        // A sibling of aspire-manifest/, so project paths relative to the manifest come out the same.
        var output = Path.Combine(RepositoryRoot, $".manifest-check-{Guid.NewGuid():N}");
        try
        {
            var entryPoint = typeof(Program).Assembly.EntryPoint!;
            entryPoint.Invoke(null, [new[] { "--publisher", "manifest", "--output-path", Path.Combine(output, "aspire-manifest.json") }]);

            var generated = RelativeFiles(output);
            Assert.Equal(RelativeFiles(CommittedDirectory), generated);
            foreach (var file in generated)
            {
                Assert.True(
                    File.ReadAllBytes(Path.Combine(CommittedDirectory, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(output, file))),
                    $"{file} differs from what the app host generates; run: dotnet run --project SocialChat.AppHost -- --publisher manifest --output-path ../aspire-manifest/aspire-manifest.json");
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public void The_manifest_has_aspires_shape()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(CommittedDirectory, "aspire-manifest.json")));
        var root = manifest.RootElement;
        var resources = root.GetProperty("resources").EnumerateObject().ToDictionary(r => r.Name, r => r.Value);

        Assert.Equal("https://json.schemastore.org/aspire-8.0.json", root.GetProperty("$schema").GetString());
        Assert.Equal(
            ["api", "cache", "cache-password", "jwt-signing-key", "postgres", "postgres-password", "realtime", "socialdb", "worker"],
            resources.Keys.Order(StringComparer.Ordinal));
        Assert.All(resources.Values, r => Assert.Contains(r.GetProperty("type").GetString(), new[] { "container.v0", "value.v0", "project.v0", "parameter.v0" }));

        foreach (var container in new[] { "postgres", "cache" })
        {
            Assert.Equal("container.v0", resources[container].GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(resources[container].GetProperty("image").GetString()));
            Assert.True(resources[container].GetProperty("bindings").GetProperty("tcp").GetProperty("targetPort").GetInt32() > 0);
            Assert.Contains($"{{{container}.bindings.tcp.host}}", resources[container].GetProperty("connectionString").GetString());
        }

        Assert.Equal("{postgres.connectionString};Database=socialdb", resources["socialdb"].GetProperty("connectionString").GetString());
        foreach (var parameter in new[] { "jwt-signing-key", "postgres-password", "cache-password" })
        {
            var input = resources[parameter].GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.True(input.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 22);
        }

        foreach (var project in new[] { "api", "realtime", "worker" })
        {
            var env = resources[project].GetProperty("env");
            Assert.StartsWith("../SocialChat.", resources[project].GetProperty("path").GetString());
            Assert.Equal("{socialdb.connectionString}", env.GetProperty("ConnectionStrings__socialdb").GetString());
            Assert.Equal("{cache.connectionString}", env.GetProperty("ConnectionStrings__cache").GetString());
            Assert.Equal("http", resources[project].GetProperty("bindings").GetProperty("http").GetProperty("scheme").GetString());
        }
    }

    [Fact]
    public void No_secret_value_is_committed()
    {
        foreach (var file in RelativeFiles(CommittedDirectory))
        {
            var text = File.ReadAllText(Path.Combine(CommittedDirectory, file));
            Assert.DoesNotMatch("(?i)password=(?!<|\\{|\\$)[^;\\s,]+", text);
        }
    }

    private static List<string> RelativeFiles(string directory) =>
        [.. Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal)];
}
