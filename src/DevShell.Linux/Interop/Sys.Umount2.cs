using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>umount2(2); retries EINTR. Returns 0 or the errno (EINVAL: not a mount point).</summary>
    internal static unsafe int TryUmount2(string target, int flags)
    {
        Span<byte> target8 = PathBuffer.Encode(target, stackalloc byte[PathBuffer.StackLimit]);
        fixed (byte* t = target8)
        {
            while (true)
            {
                if (umount2(t, flags) == 0)
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
