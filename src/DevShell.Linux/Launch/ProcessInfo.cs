using System.Globalization;

namespace DevShell.Linux.Launch;

/// <summary>Reads /proc to tell a live process from a reused pid.</summary>
public static class ProcessInfo
{
    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null if the process is gone.</summary>
    public static long? StartTicks(int pid, string procRoot = "/proc")
    {
        try
        {
            string stat = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
            // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
            int close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture); // field 22 overall
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="pid"/> is alive and is the same process that started at <paramref name="startTicks"/>.</summary>
    public static bool IsSameProcess(int pid, long? startTicks, string procRoot = "/proc")
    {
        var now = StartTicks(pid, procRoot);
        return now is not null && (startTicks is null || now == startTicks);
    }
}
