using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// Opens client WebSockets from a chosen loopback source address (127.0.0.2, .3, …): each source address
/// has its own ~28,000 ephemeral ports, so one machine can open far more than 28,000 connections to a port.
/// </summary>
internal sealed class LoopbackWebSockets(IPAddress sourceAddress) : IDisposable
{
    // IP_BIND_ADDRESS_NO_PORT: the port is picked at connect() for the 4-tuple, not at bind() for the address alone.
    private const int IpBindAddressNoPort = 24;

    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(sourceAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    public async ValueTask<WebSocket> ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        // SignalR pings over the hub protocol every 15 s. The WebSocket's own keep-alive (a pong frame every 30 s) is off,
        // as in a browser: its timer per socket, 15,000 in a worker, took a fifth of the tool's CPU holding 100,000.
        var webSocket = new ClientWebSocket { Options = { KeepAliveInterval = TimeSpan.Zero } };
        try
        {
            await webSocket.ConnectAsync(uri, _invoker, cancellationToken);
            return webSocket;
        }
        catch
        {
            webSocket.Dispose();
            throw;
        }
    }

    public void Dispose() => _invoker.Dispose();
}
