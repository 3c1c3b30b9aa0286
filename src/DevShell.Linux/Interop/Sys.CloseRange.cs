using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>close_range's number: the same on every architecture (the numbers from 424 on are unified).</summary>
    private const long NrCloseRange = 436;

    /// <summary>CLOSE_RANGE_CLOEXEC (linux/close_range.h): mark the fds close-on-exec instead of closing them.</summary>
    internal const uint CLOSE_RANGE_CLOEXEC = 1u << 2;

    /// <summary>
    /// close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) (Linux 5.11+): every fd from <paramref name="first"/> up becomes
    /// close-on-exec. Returns 0, or the errno (ENOSYS/EINVAL on an older kernel).
    /// </summary>
    internal static int TryMarkCloseOnExecFrom(int first)
    {
        long rc = close_range_syscall(NrCloseRange, (uint)first, uint.MaxValue, CLOSE_RANGE_CLOEXEC);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long close_range_syscall(long number, uint first, uint last, uint flags);
}
