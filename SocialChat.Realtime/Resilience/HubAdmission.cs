using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SocialChat.Realtime.Resilience;

/// <summary>
/// Admits a new hub connection only while this node can hold it, and refuses it with a 503 otherwise: while the node is
/// stopping (it has closed its connections, and one accepted now would be dropped a moment later), and while it holds
/// its cap of connections (<see cref="HubCapacityOptions"/>). nginx then tries the next instance at once, and a client's
/// reconnect policy tries again later.
/// </summary>
/// <remarks>
/// Each connection is a socket, and so an open file: a node at its open-file limit can neither accept nor open
/// anything, and in a benchmark one that took a dead node's clients on top of its own ran out of memory and died
/// (BENCHMARKS.md, "A node that fails"). The count covers every request on the hub's path from its arrival, so
/// handshakes in flight are counted too; a WebSocket's request lasts as long as the connection.
/// </remarks>
internal sealed class HubAdmission
{
    private readonly RequestDelegate _next;
    private readonly CancellationToken _stopping;
    private readonly int _maxConnections;
    private int _open;

    public HubAdmission(RequestDelegate next, IHostApplicationLifetime lifetime, IOptions<HubCapacityOptions> options, ILogger<HubAdmission> logger)
    {
        _next = next;
        _stopping = lifetime.ApplicationStopping;
        var openFiles = OpenFileLimit();
        _maxConnections = options.Value.MaxConnections
            ?? (openFiles is { } limit ? limit - Math.Min(options.Value.FileReserve, limit / 2) : int.MaxValue);
        logger.LogInformation("This node holds at most {MaxConnections} hub connections (open-file limit {OpenFiles})", _maxConnections, openFiles);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (_stopping.IsCancellationRequested)
        {
            await Refuse(context, "This node is stopping", "Reconnect; another node or this one restarted will take the connection.");
            return;
        }

        if (Interlocked.Increment(ref _open) > _maxConnections)
        {
            Interlocked.Decrement(ref _open);
            await Refuse(context, "This node is full", "Reconnect; another node will take the connection.");
            return;
        }

        try
        {
            await _next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private static Task Refuse(HttpContext context, string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail).ExecuteAsync(context);

    /// <summary>This process's soft limit of open files (Linux: /proc/self/limits); null where it is unknown or unlimited.</summary>
    private static int? OpenFileLimit()
    {
        const string Name = "Max open files";
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith(Name, StringComparison.Ordinal));
            return line is not null && int.TryParse(line[Name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var soft) ? soft : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public sealed class HubCapacityOptions
{
    public const string SectionName = "HubCapacity";

    /// <summary>
    /// Hub connections one node holds at most, handshakes in flight included. Unset: the process's open-file limit less
    /// <see cref="FileReserve"/> (19,000 under this machine's 20,000; 199,000 under the deployed units' LimitNOFILE).
    /// </summary>
    [Range(1, 10_000_000)]
    public int? MaxConnections { get; set; }

    /// <summary>
    /// Open files kept for all but hub connections when the cap comes from the open-file limit (at most half of it):
    /// pooled PostgreSQL and Redis connections, refused handshakes, logs, diagnostics. A node holding 10,000 connections
    /// had ~480 other files open.
    /// </summary>
    [Range(0, 1_000_000)]
    public int FileReserve { get; set; } = 1_000;
}
