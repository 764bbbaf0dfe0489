using System.IO.Compression;
using Aspire.Hosting.Dashboard.Telemetry.Otlp;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Aspire.Hosting.Dashboard.Telemetry;

/// <summary>
/// OTLP/HTTP with protobuf bodies (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>): the three signal paths an
/// exporter appends to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>. Each answers the signal's empty export response.
/// </summary>
internal static class OtlpHttpReceiver
{
    private const string ProtobufContentType = "application/x-protobuf";

    public static IEndpointRouteBuilder MapOtlpHttpReceiver(this IEndpointRouteBuilder endpoints)
    {
        var otlp = endpoints.MapGroup("/v1").DisableAntiforgery();
        otlp.MapPost("/traces", (HttpRequest request, TelemetryStore store) =>
            ReceiveAsync(request, ExportTraceServiceRequest.Parser, export => OtlpReader.ReadInto(store, export), new ExportTraceServiceResponse()));
        otlp.MapPost("/logs", (HttpRequest request, TelemetryStore store) =>
            ReceiveAsync(request, ExportLogsServiceRequest.Parser, export => OtlpReader.ReadInto(store, export), new ExportLogsServiceResponse()));
        otlp.MapPost("/metrics", (HttpRequest request, TelemetryStore store) =>
            ReceiveAsync(request, ExportMetricsServiceRequest.Parser, export => OtlpReader.ReadInto(store, export), new ExportMetricsServiceResponse()));
        return endpoints;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReceiveAsync<TRequest>(
        HttpRequest request, MessageParser<TRequest> parser, Action<TRequest> read, IMessage response)
        where TRequest : IMessage<TRequest>
    {
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Send OTLP as {ProtobufContentType} (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).");
        }

        TRequest export;
        try
        {
            using var body = new MemoryStream();
            await using var gunzipped = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true)
                : null;
            await ((Stream?)gunzipped ?? request.Body).CopyToAsync(body, request.HttpContext.RequestAborted);

            body.Position = 0;
            export = parser.ParseFrom(body);
        }
        catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidDataException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: $"Not an OTLP export: {exception.Message}");
        }

        read(export);
        return TypedResults.File(response.ToByteArray(), ProtobufContentType);
    }
}
