namespace Aspire.Hosting.Orchestration;

/// <summary>
/// Where each service sends its telemetry, told as Aspire tells it (<c>OTEL_EXPORTER_OTLP_*</c>): to the
/// dashboard's OTLP receiver while the dashboard runs, or, when the app host starts with
/// <see cref="ExternalEndpointVariable"/> set, to that collector instead (Jaeger, the standalone Aspire
/// dashboard, an OpenTelemetry Collector). The services only read the standard variables.
/// </summary>
internal static class OtlpExporterEnvironment
{
    public const string ExternalEndpointVariable = "DOTNET_DASHBOARD_OTLP_ENDPOINT_URL";
    public const string ExternalProtocolVariable = "DOTNET_DASHBOARD_OTLP_PROTOCOL";

    public static IReadOnlyDictionary<string, string> For(DistributedApplicationOptions options)
    {
        var external = Environment.GetEnvironmentVariable(ExternalEndpointVariable);
        var (endpoint, protocol) = !string.IsNullOrEmpty(external)
            ? (external, Environment.GetEnvironmentVariable(ExternalProtocolVariable) ?? "grpc")
            : options.DashboardPort is { } port ? ($"http://127.0.0.1:{port}", "http/protobuf") : (null, null);
        if (endpoint is null)
        {
            return new Dictionary<string, string>();
        }

        return new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol!,
            // Aspire's development settings: export every second, so what just happened is on the dashboard by
            // the time one looks. Unlike Aspire, no always_on sampler: the parent-based default keeps the
            // database and Redis calls of the health probes (filtered out as requests) out of the traces too.
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true",
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true",
        };
    }
}
