using System.Net.Sockets;

namespace SocialChat.Tests.Support;

public static class TestEnvironment
{
    /// <summary>The checkout the tests were built from (the folder with SocialChat.sln).</summary>
    public static readonly string RepositoryRoot = FindRepositoryRoot();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
