using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>CPU time the calling thread has used, in ns (clock_gettime(CLOCK_THREAD_CPUTIME_ID)).</summary>
    internal static unsafe long ThreadCpuTimeNs()
    {
        Timespec ts;
        if (clock_gettime(ClockThreadCpuTimeId, &ts) != 0)
        {
            throw SyscallException.FromLastError("clock_gettime", "reading this thread's CPU time");
        }

        return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int clock_gettime(int clockId, Timespec* ts);

    /// <summary>struct timespec on 64-bit Linux: two longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
