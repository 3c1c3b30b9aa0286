using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>close(2). Never retried: on Linux the fd is released even when close reports EINTR.</summary>
    internal static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }
}
