using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>setsockopt(2) of an int option. Returns 0 or the errno.</summary>
    internal static unsafe int TrySetsockoptInt(int fd, int level, int option, int value)
    {
        return setsockopt(fd, level, option, &value, sizeof(int)) == 0 ? 0 : LibC.errno;
    }
}
