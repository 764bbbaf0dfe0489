using System.Net;
using System.Net.Sockets;

namespace Aspire.Hosting.Orchestration;

internal static class PortAllocator
{
    private const int LowestPort = 10_000;

    private static readonly int EphemeralRangeLow = ReadEphemeralRangeLow();

    // Ports handed out by this process and maybe not bound yet: a second caller must not get one of them.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range. A port from that range (what binding port 0 gives)
    /// can be taken by any outgoing connection between being found free here and being bound by the service, and a
    /// test run opens thousands of connections at once: that is how a service failed to start with "address in use".
    /// </summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1_000 && EphemeralRangeLow > LowestPort; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, EphemeralRangeLow);
                if (!HandedOut.Contains(port) && IsFree(port))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Fails with the one message a developer needs when a fixed port is taken.</summary>
    public static void EnsureFree(int port, string owner)
    {
        if (!IsFree(port))
        {
            throw new DistributedApplicationException(
                $"Port {port} for '{owner}' is already in use. Stop what holds it (see: ss -ltnp 'sport = :{port}'), " +
                $"or give '{owner}' another port: dotnet run --project SocialChat.AppHost -- --port {owner}=<port>");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Linux's net.ipv4.ip_local_port_range; elsewhere the IANA range's start, which most systems use.</summary>
    private static int ReadEphemeralRangeLow()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(RangeFile) && int.TryParse(File.ReadAllText(RangeFile).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var low)
            ? low
            : 49_152;
    }
}
