using System.Runtime.InteropServices;

namespace DevShell.Stage2.Interop;

/// <summary>
/// The libc calls stage two makes. Stage two is NativeAOT and runs as PID 1 of every env, so it carries its own small,
/// audited set of imports instead of a general binding. Grouped by area in partial files (Libc.Mount.cs, ...).
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int open(byte* path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint pread(int fd, byte* buf, nint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, nint arg);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int chdir(byte* path);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int sethostname(byte* name, nint len);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int setsid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint signal(int sig, nint handler);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int sigprocmask(int how, byte* set, byte* old);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int sigemptyset(byte* set);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int sigfillset(byte* set);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int mount(byte* source, byte* target, byte* fstype, nuint flags, byte* data);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int umount2(byte* target, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawn_file_actions_init(void* fa);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawn_file_actions_destroy(void* fa);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawnattr_setsigmask(void* attr, byte* set);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawnattr_setsigdefault(void* attr, byte* set);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    internal static partial void _exit(int code);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);

    /// <summary>Returns an errno value (0 on success); does not set errno.</summary>
    [LibraryImport(Lib)]
    internal static partial int pthread_create(nuint* thread, void* attr, delegate* unmanaged<nint, nint> start, nint arg);

    /// <summary>Returns an errno value (0 on success); does not set errno.</summary>
    [LibraryImport(Lib)]
    internal static partial int pthread_join(nuint thread, void** result);

    [LibraryImport(Lib)]
    internal static partial uint getuid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int dup3(int oldfd, int newfd, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int memfd_create(byte* name, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int madvise(void* address, nuint length, int advice);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint readlink(byte* path, byte* buffer, nuint size);

    internal static int Errno => Marshal.GetLastPInvokeError();
}

/// <summary>Kernel constants stage two uses (values from the uapi headers; x86_64 where they differ by arch).</summary>
internal static class K
{
    // open(2)
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030;

    // namespaces
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    // mount(2)
    public const nuint MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096,
        MS_REC = 16384, MS_PRIVATE = 1 << 18;
    public const int MNT_DETACH = 2;

    // mount_setattr(2)
    public const int AT_FDCWD = -100, AT_RECURSIVE = 0x8000;
    public const ulong MOUNT_ATTR_RDONLY = 0x1;

    // prctl(2)
    public const int PR_SET_KEEPCAPS = 8, PR_SET_SECCOMP = 22, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38,
        PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4, PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4;
    public const int SECCOMP_MODE_FILTER = 2;

    // ioctl(2)
    public const nuint TIOCSCTTY = 0x540E, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    public const short IFF_UP = 1;
    public const int AF_INET = 2, SOCK_DGRAM = 2;

    // signals and wait
    public const int SIGKILL = 9, SIGPIPE = 13, SIG_SETMASK = 2, WNOHANG = 1;
    public const int ECHILD = 10, EINTR = 4, ENOENT = 2, EPERM = 1, EBUSY = 16, ESPIPE = 29;
    public const uint MFD_CLOEXEC = 1;

    // posix_spawn flags (glibc)
    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    // unshare(2) without a namespace: a private root, cwd and umask for the calling thread
    public const int CLONE_FS = 0x00000200;

    // eventfd(2)
    public const int EFD_CLOEXEC = 0x80000;

    // capabilities
    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const int CAP_SETPCAP = 8;
}

/// <summary>struct pollfd.</summary>
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
