using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>send(2) of one datagram; retries EINTR. Returns the bytes sent, or -1 with <paramref name="errno"/> set.</summary>
    internal static unsafe long TrySend(int fd, ReadOnlySpan<byte> data, int flags, out int errno)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                long n = send(fd, p, data.Length, flags);
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
