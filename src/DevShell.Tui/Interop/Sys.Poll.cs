using System.Runtime.InteropServices;

namespace DevShell.Tui.Interop;

/// <summary>
/// poll(2), for the TUI's terminal input wait only (see <see cref="Hosting.WaitingAnsiInput"/>). Terminal.Gui reads the
/// terminal itself; this only waits until it has something to read, so no terminal state is touched here.
/// </summary>
internal static unsafe partial class Sys
{
    internal const short POLLIN = 0x001, POLLERR = 0x008, POLLHUP = 0x010, POLLNVAL = 0x020;
    internal const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint nfds, int timeout);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for one of <paramref name="fds"/> to be ready. Returns the number of
    /// ready descriptors (0 on timeout or when a signal interrupted the wait: callers wait again anyway), or -1 with
    /// the errno in <paramref name="errno"/>.
    /// </summary>
    internal static int Poll(Span<PollFd> fds, int timeoutMs, out int errno)
    {
        errno = 0;
        fixed (PollFd* p = fds)
        {
            var n = PollNative(p, (nuint)fds.Length, timeoutMs);
            if (n >= 0)
            {
                return n;
            }

            errno = Marshal.GetLastPInvokeError();
            return errno == EINTR ? 0 : -1;
        }
    }
}
