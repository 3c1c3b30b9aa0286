using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>pidfd_open's number: the same on every architecture (the numbers from 424 on are unified).</summary>
    private const long NrPidfdOpen = 434;

    /// <summary>
    /// pidfd_open(2) (Linux 5.3+): a close-on-exec fd that polls readable once <paramref name="pid"/> has exited
    /// (also when it is not our child). Returns the fd, or -1 (ESRCH: it has already gone; ENOSYS: an older kernel)
    /// with the errno in <paramref name="errno"/>; retries EINTR.
    /// </summary>
    internal static int TryPidfdOpen(int pid, out int errno)
    {
        while (true)
        {
            long fd = pidfd_syscall(NrPidfdOpen, pid, 0);
            if (fd >= 0)
            {
                errno = 0;
                return (int)fd;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return -1;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long pidfd_syscall(long number, long pid, long flags);
}
