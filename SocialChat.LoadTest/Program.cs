using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using SocialChat.LoadTest.Fleet;
using SocialChat.LoadTest.Reporting;
using SocialChat.LoadTest.Scenarios;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest;

/// <summary>
/// SocialChat's load tool: the <c>connect</c>, <c>chat</c>, <c>api</c>, <c>commit</c> and <c>group</c> scenarios against a running system on
/// loopback (BENCHMARKS.md has the commands); <c>worker</c> is how it runs copies of itself to hold more connections;
/// <c>plot</c> draws chat reports.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.FirstOrDefault() ?? "help";
        if (command == Plots.Command)
        {
            return await Plots.RunAsync(args[1..]);
        }

        var settings = new ConfigurationBuilder().AddCommandLine(args[Math.Min(1, args.Length)..], LoadTestOptions.SwitchMappings()).Build();
        if (command == Worker.Command)
        {
            return await Worker.RunAsync(settings);
        }

        try
        {
            var options = LoadTestOptions.From(settings);
            using var runTime = new CancellationTokenSource(options.MaxRunTime);
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                runTime.Cancel();
            };

            return command switch
            {
                "connect" => await ConnectScenario.RunAsync(options, runTime.Token),
                "chat" => await ChatScenario.RunAsync(options, runTime.Token),
                "api" => await ApiScenario.RunAsync(options, runTime.Token),
                "commit" => await CommitScenario.RunAsync(options, runTime.Token),
                "group" => await GroupScenario.RunAsync(options, runTime.Token),
                _ => Usage(),
            };
        }
        catch (Exception exception) when (exception is ArgumentException or ValidationException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"load test refused or failed: {exception.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: SocialChat.LoadTest connect|chat|api|commit|group --api URL --realtime URL[,URL…] --postgres CONN --redis CONN --jwt-signing-key KEY [options]; see BENCHMARKS.md");
        return 2;
    }
}
