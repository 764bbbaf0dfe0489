using System.Text.Json.Serialization;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Dashboard.Telemetry;
using Aspire.Hosting.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting.Dashboard;

/// <summary>
/// The dashboard: a page and a JSON API over the resource stream and the log buffers (commands go to the
/// orchestrator), and the OTLP receiver with the telemetry pages over what the services export to it.
/// </summary>
internal sealed class DashboardServer(Orchestrator orchestrator, ResourceNotificationService notifications, int port) : IAsyncDisposable
{
    private WebApplication? _app;

    public Uri Url { get; } = new($"http://localhost:{port}");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddOptions<TelemetryLimits>().BindConfiguration(TelemetryLimits.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TelemetryStore>();
        _app = builder.Build();

        _app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        var api = _app.MapGroup("/api/resources");
        api.MapGet("/", () => TypedResults.Ok(notifications.Current));
        api.MapGet("/{name}/logs", GetLogs);
        api.MapPost("/{name}/{command}", ExecuteCommandAsync);
        _app.MapOtlpHttpReceiver();
        _app.MapTelemetryApi();
        _app.MapTelemetryPages();

        await _app.StartAsync(cancellationToken);
    }

    private Results<Ok<IReadOnlyList<LogLine>>, NotFound> GetLogs(string name, long? after) =>
        orchestrator.Find(name) is { } instance ? TypedResults.Ok(instance.Logs.ReadAfter(after ?? 0)) : TypedResults.NotFound();

    /// <summary>stop, start or restart an instance, or every replica of a resource.</summary>
    private async Task<Results<Accepted, NotFound, BadRequest<string>>> ExecuteCommandAsync(string name, string command)
    {
        var instances = orchestrator.Instances
            .Where(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(i.Resource.Name, name, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (instances.Count == 0)
        {
            return TypedResults.NotFound();
        }

        foreach (var instance in instances)
        {
            switch (command)
            {
                case "stop":
                    await orchestrator.StopInstanceAsync(instance);
                    break;
                case "start":
                    orchestrator.StartInstance(instance);
                    break;
                case "restart":
                    await orchestrator.StopInstanceAsync(instance);
                    orchestrator.StartInstance(instance);
                    break;
                default:
                    return TypedResults.BadRequest($"Unknown command '{command}'; use stop, start or restart.");
            }
        }

        return TypedResults.Accepted((string?)null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
