using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// write(2) of the whole buffer in one call, as cgroup and sysfs files require (a split write is two values).
    /// Retries EINTR. Returns 0 or the errno; a short write is reported as EIO.
    /// </summary>
    internal static unsafe int TryWriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                long n = write(fd, p, data.Length);
                if (n == data.Length)
                {
                    return 0;
                }

                if (n >= 0)
                {
                    return Errno.EIO;
                }

                int e = LibC.errno;
                if (e != Errno.EINTR)
                {
                    return e;
                }
            }
        }
    }
}
