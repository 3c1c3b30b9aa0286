using System.Diagnostics;
using System.Text;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// Launch-path timestamps for measuring stage two, compiled in only with <c>dotnet publish -p:Stage2Timing=true</c>
/// (every method is <see cref="ConditionalAttribute"/>: a normal build has no call to any of them). Each mark is
/// CLOCK_MONOTONIC in ns; PID 1 appends one line per launch, "label=ns label=ns ...", to
/// /run/devshell-stage2-timing.log (opened before the mounts, which put a tmpfs on /tmp). Marks of the start thread
/// are prefixed "t.". The time before Main (exec and the runtime's start) needs a mark from outside, e.g. a small
/// wrapper that appends "exec=ns " to the same file and execs this binary.
/// </summary>
internal static unsafe class Timing
{
    private static readonly string[] Labels = new string[64];
    private static readonly long[] Stamps = new long[64];
    private static int _count;
    private static int _fd = -1;

    [Conditional("STAGE2_TIMING")]
    public static void Open()
    {
        fixed (byte* p = "/run/devshell-stage2-timing.log\0"u8)
        {
            _fd = Libc.open(p, K.O_WRONLY | K.O_CLOEXEC | 0x40 /* O_CREAT */ | 0x400 /* O_APPEND */, 420);
        }
    }

    [Conditional("STAGE2_TIMING")]
    public static void Mark(string label)
    {
        long now = Stopwatch.GetTimestamp();
        int i = Interlocked.Increment(ref _count) - 1;
        if (i >= Stamps.Length) return;
        Labels[i] = label;
        Stamps[i] = now;
    }

    [Conditional("STAGE2_TIMING")]
    public static void Flush()
    {
        if (_fd < 0) return;
        var sb = new StringBuilder();
        int n = Math.Min(_count, Stamps.Length);
        for (int i = 0; i < n; i++) sb.Append(Labels[i]).Append('=').Append(Stamps[i]).Append(' ');
        sb.Append('\n');
        var bytes = Encoding.ASCII.GetBytes(sb.ToString());
        fixed (byte* b = bytes) Libc.write(_fd, b, bytes.Length);
    }
}
