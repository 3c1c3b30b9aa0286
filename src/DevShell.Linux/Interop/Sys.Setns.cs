using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// setns(2): moves the CALLING THREAD into the namespace <paramref name="fd"/> refers to. For CLONE_NEWNET that
    /// is exactly one thread of this multithreaded process; use it on a dedicated thread only. Returns 0 or the errno.
    /// </summary>
    internal static int TrySetns(int fd, int nstype)
    {
        while (true)
        {
            if (setns(fd, nstype) == 0)
            {
                return 0;
            }

            int e = LibC.errno;
            if (e != Errno.EINTR)
            {
                return e;
            }
        }
    }
}
