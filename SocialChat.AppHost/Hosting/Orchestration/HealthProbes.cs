using System.Net.Sockets;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Orchestration;

/// <summary>What "healthy" means per kind: PostgreSQL answers a query, Redis answers PING, a service's /health is 200.</summary>
internal static class HealthProbes
{
    public static async Task<(bool Healthy, string? Description)> CheckAsync(ResourceInstance instance, HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            return instance.Resource switch
            {
                PostgresServerResource postgres => await PostgresAsync(postgres, cancellationToken),
                RedisResource redis => await RedisAsync(redis, cancellationToken),
                ProjectResource project => await HttpAsync(instance, project, http, cancellationToken),
                _ => (true, null),
            };
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (false, exception.Message);
        }
    }

    private static async Task<(bool, string?)> PostgresAsync(PostgresServerResource postgres, CancellationToken cancellationToken)
    {
        var connectionString = await postgres.ConnectionStringExpression.GetValueAsync(cancellationToken) + ";Pooling=false;Timeout=2";
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
        return (true, null);
    }

    // A raw RESP exchange: a full Redis client per probe would cost a multiplexer and its threads each second.
    private static async Task<(bool, string?)> RedisAsync(RedisResource redis, CancellationToken cancellationToken)
    {
        var endpoint = redis.PrimaryEndpoint.Allocated()!;
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        await client.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {redis.PasswordParameter.Value}\r\nPING\r\n"), timeout.Token);
        var buffer = new byte[64];
        var received = new StringBuilder();
        while (!received.ToString().Contains("PONG", StringComparison.Ordinal) && !received.ToString().Contains("-ERR", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var reply = received.ToString();
        return reply.Contains("+PONG", StringComparison.Ordinal) ? (true, null) : (false, reply.Trim());
    }

    private static async Task<(bool, string?)> HttpAsync(ResourceInstance instance, ProjectResource project, HttpClient http, CancellationToken cancellationToken)
    {
        var path = project.AnnotationsOf<HealthCheckAnnotation>().LastOrDefault()?.Path ?? "/health";
        var endpoint = project.AnnotationsOf<EndpointAnnotation>().First().AllocatedEndpoints[instance.Replica];
        using var response = await http.GetAsync(new Uri($"{endpoint.Url}{path}"), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.IsSuccessStatusCode, body.Length > 200 ? body[..200] : body);
    }
}
