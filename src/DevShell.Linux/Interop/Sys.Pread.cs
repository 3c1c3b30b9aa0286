using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// pread(2) at <paramref name="offset"/>; retries EINTR. Returns the byte count, or -1 with
    /// <paramref name="errno"/> set. Reading offset 0 of a kept-open cgroup/sysfs file regenerates its content.
    /// </summary>
    internal static unsafe int TryPread(int fd, Span<byte> buffer, long offset, out int errno)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                long n = pread(fd, p, buffer.Length, offset);
                if (n >= 0)
                {
                    errno = 0;
                    return (int)n;
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
