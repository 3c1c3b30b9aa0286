using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// unshare(2) for the CALLING THREAD. Only flags that are per-thread work in a multithreaded .NET process
    /// (CLONE_NEWNET does; CLONE_NEWNS and CLONE_NEWUSER fail with EINVAL). Returns 0 or the errno.
    /// </summary>
    internal static int TryUnshare(int flags)
    {
        while (true)
        {
            if (unshare(flags) == 0)
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
