using Aspire.Hosting.Orchestration;

namespace SocialChat.Tests.Support;

public static class TestEnvironment
{
    /// <summary>The checkout the tests were built from (the folder with SocialChat.sln).</summary>
    public static readonly string RepositoryRoot = FindRepositoryRoot();

    /// <summary>The app host's allocator, for the servers a test starts beside it.</summary>
    public static int FreePort() => PortAllocator.FreePort();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SocialChat.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with SocialChat.sln) was not found above the test binaries.");
    }
}
