using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>open(2); retries EINTR. Returns the fd, or -1 with <paramref name="errno"/> set.</summary>
    internal static unsafe int TryOpen(string path, int flags, out int errno)
    {
        Span<byte> path8 = PathBuffer.Encode(path, stackalloc byte[PathBuffer.StackLimit]);
        fixed (byte* p = path8)
        {
            while (true)
            {
                int fd = open(p, flags | O_CLOEXEC, 0);
                if (fd >= 0)
                {
                    errno = 0;
                    return fd;
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
