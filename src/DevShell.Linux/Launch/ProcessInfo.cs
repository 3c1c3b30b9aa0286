using System.Globalization;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Launch;

/// <summary>Reads /proc to tell a live process from a reused pid.</summary>
/// <remarks>
/// Every launch checks the launcher and PID 1 of every running session with it, so it reads /proc/PID/stat into a
/// stack buffer with one open and one read: File.ReadAllText allocated ~10 KB per call (a FileStream, a
/// StreamReader and their buffers), which made the check of 60 running envs cost ~20 ms of GC allocation (perf).
/// </remarks>
public static class ProcessInfo
{
    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null if the process is gone.</summary>
    public static long? StartTicks(int pid, string procRoot = "/proc")
    {
        Span<byte> stat = stackalloc byte[1024];
        int n = ReadStat(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"), stat);
        return n > 0 ? ParseStartTicks(stat[..n]) : null;
    }

    /// <summary>True when <paramref name="pid"/> is alive and is the same process that started at <paramref name="startTicks"/>.</summary>
    public static bool IsSameProcess(int pid, long? startTicks, string procRoot = "/proc")
    {
        var now = StartTicks(pid, procRoot);
        return now is not null && (startTicks is null || now == startTicks);
    }

    /// <summary>True when <paramref name="pid"/> has exited and waits to be reaped (state Z), or is gone altogether.</summary>
    public static bool IsZombieOrGone(int pid, string procRoot = "/proc")
    {
        Span<byte> stat = stackalloc byte[1024];
        int n = ReadStat(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"), stat);
        if (n <= 0) return true;
        int close = stat[..n].LastIndexOf((byte)')');
        return close > 0 && close + 2 < n && stat[close + 2] == (byte)'Z';
    }

    /// <summary>
    /// Field 22 of a /proc/PID/stat line. The command name (field 2) may contain spaces and parentheses, so fields are
    /// counted after the last ')': field 3 (the state) comes right after it, field 22 is 19 spaces later.
    /// </summary>
    public static long? ParseStartTicks(ReadOnlySpan<byte> stat)
    {
        int close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length) return null;
        var rest = stat[(close + 2)..];
        for (int field = 3; field < 22; field++)
        {
            int space = rest.IndexOf((byte)' ');
            if (space < 0) return null;
            rest = rest[(space + 1)..];
        }
        int end = rest.IndexOfAny((byte)' ', (byte)'\n');
        var digits = end < 0 ? rest : rest[..end];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) ? ticks : null;
    }

    /// <summary>Reads a small /proc file into <paramref name="buffer"/>; the byte count, or -1 when it cannot be read.</summary>
    /// <summary>
    /// The first child of a process (from /proc/PID/task/PID/children, the main thread's children), or null. Read
    /// into a stack buffer: a launch asks once for stage two's PID 1, right on its critical path.
    /// </summary>
    public static int? FirstChild(int pid, string procRoot = "/proc")
    {
        Span<byte> children = stackalloc byte[256];
        string id = pid.ToString(CultureInfo.InvariantCulture);
        int n = ReadStat(Path.Combine(procRoot, id, "task", id, "children"), children);
        if (n <= 0) return null;
        var text = children[..n];
        int end = text.IndexOfAny((byte)' ', (byte)'\n');
        return int.TryParse(end < 0 ? text : text[..end], NumberStyles.None, CultureInfo.InvariantCulture, out int child) ? child : null;
    }

    private static int ReadStat(string path, Span<byte> buffer)
    {
        int fd = Sys.TryOpen(path, LibC.O_RDONLY, out _);
        if (fd < 0) return -1;
        try
        {
            return Sys.TryPread(fd, buffer, 0, out _);
        }
        finally
        {
            Sys.Close(fd);
        }
    }
}
