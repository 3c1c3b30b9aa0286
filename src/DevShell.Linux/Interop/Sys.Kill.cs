using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>kill(2). Returns 0 or the errno (ESRCH: the process has already gone, an expected race).</summary>
    internal static int TryKill(int pid, int signal)
    {
        while (true)
        {
            if (kill(pid, signal) == 0)
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
