using System.Net;
using System.Net.Sockets;

namespace Aspire.Hosting.Orchestration;

internal static class PortAllocator
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Fails with the one message a developer needs when a fixed port is taken.</summary>
    public static void EnsureFree(int port, string owner)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
        catch (SocketException)
        {
            throw new DistributedApplicationException(
                $"Port {port} for '{owner}' is already in use. Stop what holds it (see: ss -ltnp 'sport = :{port}'), " +
                $"or give '{owner}' another port: dotnet run --project SocialChat.AppHost -- --port {owner}=<port>");
        }
    }
}
