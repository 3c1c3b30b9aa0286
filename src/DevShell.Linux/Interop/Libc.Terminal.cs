using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>Pseudo-terminals, termios and window size. termios is handled as an opaque 60-byte glibc struct.</summary>
internal static unsafe partial class Libc
{
    internal const int TermiosSize = 60;
    internal const nuint TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCSTI = 0x5412;
    internal const int TCSANOW = 0, TCSADRAIN = 1;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_openpt(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int grantpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int unlockpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ptsname_r(int fd, byte* buf, nuint len);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int tcsetattr(int fd, int action, byte* termios);

    [LibraryImport(Lib)]
    internal static partial void cfmakeraw(byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int isatty(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int tcsetpgrp(int fd, int pgrp);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getpgrp();
}
