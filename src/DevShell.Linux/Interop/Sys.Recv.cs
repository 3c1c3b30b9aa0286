using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// recv(2); retries EINTR. Returns the datagram length (with MSG_TRUNC, the full length even when it did not
    /// fit), or -1 with <paramref name="errno"/> set.
    /// </summary>
    internal static unsafe long TryRecv(int fd, Span<byte> buffer, int flags, out int errno)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                long n = recv(fd, p, buffer.Length, flags);
                if (n >= 0)
                {
                    errno = 0;
                    return n;
                }

                errno = LibC.errno;
                if (errno != Errno.EINTR)
                {
                    return -1;
                }
            }
        }
    }
}
