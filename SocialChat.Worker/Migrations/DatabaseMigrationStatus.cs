using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SocialChat.Worker.Migrations;

internal sealed class DatabaseMigrationStatus
{
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _lastError;

    /// <summary>Background work that needs the current schema starts after this.</summary>
    public Task WaitForCompletionAsync(CancellationToken cancellationToken) => _completed.Task.WaitAsync(cancellationToken);

    public void MarkCompleted() => _completed.TrySetResult();

    public void MarkFailed(string error) => _lastError = error;

    public HealthCheckResult ToHealthCheckResult() =>
        _completed.Task.IsCompleted
            ? HealthCheckResult.Healthy("Migrations applied.")
            : HealthCheckResult.Unhealthy(_lastError is null ? "Applying migrations." : $"Migrating failed, retrying: {_lastError}");
}

internal sealed class DatabaseMigrationHealthCheck(DatabaseMigrationStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.ToHealthCheckResult());
}
