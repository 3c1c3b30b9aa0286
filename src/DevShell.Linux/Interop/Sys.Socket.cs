using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>socket(2) with SOCK_CLOEXEC added. Returns the fd, or -1 with <paramref name="errno"/> set.</summary>
    internal static int TrySocket(int domain, int type, int protocol, out int errno)
    {
        int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
        errno = fd >= 0 ? 0 : LibC.errno;
        return fd;
    }
}
