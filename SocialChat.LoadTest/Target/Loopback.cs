using System.Net;
using Npgsql;
using StackExchange.Redis;

namespace SocialChat.LoadTest.Target;

/// <summary>Load goes to this machine only: every target must resolve to 127.0.0.0/8 (or ::1), else the run is refused.</summary>
internal static class Loopback
{
    public static void RequireTargets(LoadTestOptions options)
    {
        Require("--api", options.Api!.Host);
        foreach (var realtime in options.RealtimeUrls)
        {
            Require("--realtime", realtime.Host);
        }

        Require("--postgres", new NpgsqlConnectionStringBuilder(options.Postgres).Host ?? string.Empty);
        foreach (var endpoint in ConfigurationOptions.Parse(options.Redis).EndPoints)
        {
            Require("--redis", endpoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => endpoint.ToString() ?? string.Empty,
            });
        }
    }

    /// <summary>The n-th client source address, 127.0.0.2 onwards (127.0.0.1 stays for everything else).</summary>
    public static IPAddress SourceAddress(int n)
    {
        // Every address of 127.0.0.0/8 is on the loopback interface already: nothing to configure.
        var host = n + 2;
        return new IPAddress([127, (byte)(host >> 16), (byte)(host >> 8), (byte)host]);
    }

    private static void Require(string option, string host)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : Dns.GetHostAddresses(host);
        if (addresses.Length == 0 || !addresses.All(IPAddress.IsLoopback))
        {
            throw new ArgumentException($"{option} {host}: the load tool only targets loopback addresses (127.0.0.0/8, ::1).");
        }
    }
}
