using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The reverse proxy's X-Forwarded-For/-Proto are believed only from the addresses in
/// <c>ForwardedHeaders:KnownProxies</c> / <c>KnownNetworks</c> (loopback when neither is set: nginx on the same host).
/// From anyone else they are ignored, so a client cannot pick the address its rate limits and login throttle count.
/// </summary>
public static class ForwardedHeadersDefaults
{
    public static TBuilder AddTrustedProxies<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = 1;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            var (proxies, networks) = trusted.Value.Resolve();
            foreach (var proxy in proxies)
            {
                forwarded.KnownProxies.Add(proxy);
            }

            foreach (var network in networks)
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });
        return builder;
    }
}

public sealed class TrustedProxyOptions : IValidatableObject
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>127.0.0.1</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR form, e.g. <c>10.0.0.0/24</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    public (IReadOnlyList<IPAddress> Proxies, IReadOnlyList<IPNetwork> Networks) Resolve() =>
        KnownProxies.Length == 0 && KnownNetworks.Length == 0
            ? ([IPAddress.Loopback, IPAddress.IPv6Loopback], [])
            : ([.. KnownProxies.Select(IPAddress.Parse)], [.. KnownNetworks.Select(n => IPNetwork.Parse(n))]);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"'{proxy}' is not an IP address.", [nameof(KnownProxies)]);
        }

        foreach (var network in KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"'{network}' is not a network in CIDR form (10.0.0.0/24).", [nameof(KnownNetworks)]);
        }
    }
}
