using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SocialChat.Worker.Migrations;

internal sealed class DatabaseMigrationStatus
{
    private volatile string? _lastError;
    private volatile bool _completed;

    public void MarkCompleted() => _completed = true;

    public void MarkFailed(string error) => _lastError = error;

    public HealthCheckResult ToHealthCheckResult() =>
        _completed
            ? HealthCheckResult.Healthy("Migrations applied.")
            : HealthCheckResult.Unhealthy(_lastError is null ? "Applying migrations." : $"Migrating failed, retrying: {_lastError}");
}

internal sealed class DatabaseMigrationHealthCheck(DatabaseMigrationStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.ToHealthCheckResult());
}
