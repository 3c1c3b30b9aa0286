using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>
    /// rmdir(2); retries EINTR. Returns 0 or the errno. On a cgroup, EBUSY means it still has processes or
    /// children, an expected race with exiting processes.
    /// </summary>
    internal static unsafe int TryRmdir(string path)
    {
        Span<byte> path8 = PathBuffer.Encode(path, stackalloc byte[PathBuffer.StackLimit]);
        fixed (byte* p = path8)
        {
            while (true)
            {
                if (rmdir(p) == 0)
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
}
