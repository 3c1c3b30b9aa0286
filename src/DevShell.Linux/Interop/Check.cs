using System.Runtime.InteropServices;
using System.Text;

namespace DevShell.Linux.Interop;

/// <summary>errno-to-exception at the boundary, and C string helpers.</summary>
internal static class Check
{
    internal static int Fd(int rc, string call, string what) => rc < 0 ? throw SyscallException.FromLastError(call, what) : rc;

    internal static void Ok(int rc, string call, string what)
    {
        if (rc < 0) throw SyscallException.FromLastError(call, what);
    }

    /// <summary>read(2), retrying EINTR (the one place it is retried). Returns bytes read, 0 at EOF, -1 on error.</summary>
    internal static unsafe int Read(int fd, byte* buf, int count)
    {
        while (true)
        {
            nint rc = Libc.read(fd, buf, count);
            if (rc >= 0 || Marshal.GetLastPInvokeError() != Errno.EINTR) return (int)rc;
        }
    }

    /// <summary>write(2), retrying EINTR. Returns bytes written or -1.</summary>
    internal static unsafe int Write(int fd, byte* buf, int count)
    {
        while (true)
        {
            nint rc = Libc.write(fd, buf, count);
            if (rc >= 0 || Marshal.GetLastPInvokeError() != Errno.EINTR) return (int)rc;
        }
    }

    internal static byte[] Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
