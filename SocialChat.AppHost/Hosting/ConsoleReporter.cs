using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Orchestration;

namespace Aspire.Hosting;

/// <summary>The terminal view: each instance's state changes as they happen, the URLs once all is healthy, and the log of whatever fails.</summary>
internal sealed class ConsoleReporter(ResourceNotificationService notifications, Orchestrator orchestrator)
{
    private const int FailureLogLines = 30;

    public async Task RunAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var lastShown = new Dictionary<string, string>();
        var announced = false;
        try
        {
            await foreach (var snapshot in notifications.WatchAsync(cancellationToken))
            {
                if (snapshot.ResourceType == "Parameter")
                {
                    continue;
                }

                var shown = snapshot.Health == HealthStatus.Healthy && snapshot.State == KnownResourceStates.Running ? "Healthy" : snapshot.State;
                if (lastShown.GetValueOrDefault(snapshot.Name) != shown)
                {
                    lastShown[snapshot.Name] = shown;
                    var detail = snapshot.Pid is { } pid ? $" (pid {pid})" : snapshot.ExitCode is { } code ? $" (exit code {code})" : "";
                    Console.WriteLine($"{DateTime.Now:HH:mm:ss} {snapshot.Name,-12} {shown}{detail}");
                    if (snapshot.State is KnownResourceStates.Exited or KnownResourceStates.FailedToStart)
                    {
                        PrintFailure(snapshot, orchestrator.Find(snapshot.Name)?.Logs.Tail(FailureLogLines) ?? []);
                    }
                }

                if (!announced && notifications.Current.All(s => s.IsHealthyAndRunning))
                {
                    announced = true;
                    PrintUrls(app);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private static void PrintFailure(ResourceSnapshot snapshot, IReadOnlyList<string> logTail)
    {
        // A resource that never started because what it waits for failed has one line to say; the log box is for the one that failed.
        if (logTail is [var reason] && reason == snapshot.HealthDescription)
        {
            Console.Error.WriteLine($"  {reason}");
            return;
        }

        Console.Error.WriteLine($"--- last lines of '{snapshot.Name}' ---");
        foreach (var line in logTail)
        {
            Console.Error.WriteLine($"  {line}");
        }

        Console.Error.WriteLine("---");
    }

    private void PrintUrls(DistributedApplication app)
    {
        Console.WriteLine();
        Console.WriteLine("SocialChat is up.");
        if (app.DashboardUrl is { } dashboard)
        {
            Console.WriteLine($"  Dashboard      {dashboard}");
        }

        foreach (var snapshot in notifications.Current.Where(s => s.ResourceType == "Project"))
        {
            Console.WriteLine($"  {snapshot.Name,-14} {string.Join(' ', snapshot.Urls)}");
        }

        Console.WriteLine("Press Ctrl+C to stop.");
    }
}
