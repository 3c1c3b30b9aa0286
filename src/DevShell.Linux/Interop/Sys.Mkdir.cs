using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>mkdir(2); retries EINTR. Returns 0 or the errno (EEXIST is the caller's call to make).</summary>
    internal static unsafe int TryMkdir(string path, int mode)
    {
        Span<byte> path8 = PathBuffer.Encode(path, stackalloc byte[PathBuffer.StackLimit]);
        fixed (byte* p = path8)
        {
            while (true)
            {
                if (mkdir(p, (ushort)mode) == 0)
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
