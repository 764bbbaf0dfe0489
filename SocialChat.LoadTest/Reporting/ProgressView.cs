using Spectre.Console;

namespace SocialChat.LoadTest.Reporting;

/// <summary>A live bar per phase on a terminal; plain lines when the output is a file or a test.</summary>
internal static class ProgressView
{
    public static async Task<T> RunAsync<T>(string title, double total, Func<Action<double, string>, Task<T>> work)
    {
        if (Console.IsOutputRedirected)
        {
            var lastLine = DateTime.MinValue;
            var result = await work((done, status) =>
            {
                if (DateTime.UtcNow - lastLine > TimeSpan.FromSeconds(5))
                {
                    lastLine = DateTime.UtcNow;
                    Console.WriteLine($"{title}: {status}");
                }
            });
            Console.WriteLine($"{title}: done");
            return result;
        }

        return await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: Math.Max(1, total));
                var result = await work((done, status) =>
                {
                    task.Value = done;
                    task.Description = $"{title}: {Markup.Escape(status)}";
                });
                task.Value = task.MaxValue;
                return result;
            });
    }

    public static void Line(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
