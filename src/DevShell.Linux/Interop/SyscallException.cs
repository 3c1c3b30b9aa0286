using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>
/// The one exception type for a failed kernel call. The message says what was being done, the strerror text and
/// the errno name: "creating veth ds-orders0: File exists (EEXIST)".
/// </summary>
public sealed class SyscallException : Exception
{
    public SyscallException(string call, int errno, string what)
        : base($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} ({Interop.Errno.Name(errno)})")
    {
        Call = call;
        Errno = errno;
        What = what;
    }

    public SyscallException()
    {
        Call = What = "";
    }

    public SyscallException(string message) : base(message)
    {
        Call = What = "";
    }

    public SyscallException(string message, Exception innerException) : base(message, innerException)
    {
        Call = What = "";
    }

    /// <summary>The syscall or libc function that failed, e.g. "mount".</summary>
    public string Call { get; }

    public int Errno { get; }

    /// <summary>What DevShell was doing, in words a user understands.</summary>
    public string What { get; }

    /// <summary>Throws for the last P/Invoke error; call right after the failing call.</summary>
    public static SyscallException FromLastError(string call, string what) =>
        new(call, Marshal.GetLastPInvokeError(), what);
}

/// <summary>errno names for messages (the numbers are the Linux x86_64/aarch64 generic values).</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22,
        ENOSPC = 28, EROFS = 30, ENOSYS = 38, ENOTEMPTY = 39, EOPNOTSUPP = 95, EADDRINUSE = 98, ENETDOWN = 100,
        ENETUNREACH = 101, ECONNREFUSED = 111, EHOSTUNREACH = 113;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO", EBADF => "EBADF",
        ECHILD => "ECHILD", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EBUSY => "EBUSY",
        EEXIST => "EEXIST", ENODEV => "ENODEV", ENOTDIR => "ENOTDIR", EISDIR => "EISDIR", EINVAL => "EINVAL",
        ENOSPC => "ENOSPC", EROFS => "EROFS", ENOSYS => "ENOSYS", ENOTEMPTY => "ENOTEMPTY",
        EOPNOTSUPP => "EOPNOTSUPP", EADDRINUSE => "EADDRINUSE", ENETDOWN => "ENETDOWN", ENETUNREACH => "ENETUNREACH",
        ECONNREFUSED => "ECONNREFUSED", EHOSTUNREACH => "EHOSTUNREACH",
        _ => $"errno {errno}",
    };
}
