using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>Process creation and waiting: posix_spawn (never fork from managed code), waitpid, kill, pipes.</summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_init(void* fa);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);

    [LibraryImport(Lib)]
    internal static partial int posix_spawn_file_actions_destroy(void* fa);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setsigmask(void* attr, byte* set);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_setsigdefault(void* attr, byte* set);

    [LibraryImport(Lib)]
    internal static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    internal static partial int sigemptyset(byte* set);

    [LibraryImport(Lib)]
    internal static partial int sigfillset(byte* set);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int open(byte* path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Lib)]
    internal static partial uint geteuid();

    [LibraryImport(Lib)]
    internal static partial uint getuid();

    [LibraryImport(Lib)]
    internal static partial uint getgid();

    [LibraryImport(Lib)]
    internal static partial int getpid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int chown(byte* path, uint uid, uint gid);

    internal const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    internal const int F_GETFL = 3, F_SETFL = 4, F_SETFD = 2, FD_CLOEXEC = 1;
    internal const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POLLIN = 1, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;
    internal const int WNOHANG = 1;
    internal const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGTERM = 15, SIGCONT = 18;
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
