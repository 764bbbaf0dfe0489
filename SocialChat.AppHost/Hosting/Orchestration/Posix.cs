using System.Runtime.InteropServices;

namespace Aspire.Hosting.Orchestration;

/// <summary>The few POSIX calls .NET's Process does not offer: graceful signals and identity.</summary>
internal static partial class Posix
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static bool IsRoot => geteuid() == 0;

    public static void Signal(int pid, int signal) => _ = kill(pid, signal);

    /// <summary>The process's start time in clock ticks since boot, so a recorded pid is not confused with a reused one.</summary>
    public static long? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Field 22, counted after the parenthesised command name, which may itself contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Running, and not a zombie waiting to be reaped by a parent that does not (PID 1 in a container).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
