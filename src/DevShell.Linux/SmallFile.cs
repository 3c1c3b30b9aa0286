using System.Text;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux;

/// <summary>
/// Reads small text files (/proc/sys values, /proc/net/route, sysfs attributes, the env registry) with open, pread
/// and close only. File.ReadAllText costs a FileStream (fstat and the flock that emulates FileShare), a
/// StreamReader with its own buffers and a StringBuilder; a launch reads about ten such files, and on a cold
/// NativeAOT process those allocations and calls are most of what reading them costs.
/// </summary>
internal static class SmallFile
{
    private const int StackSize = 4096;

    /// <summary>The file's text (UTF-8), or null if it does not exist (ENOENT, ENOTDIR). Other errors throw.</summary>
    public static string? TryReadText(string path)
    {
        int fd = Sys.TryOpen(path, LibC.O_RDONLY, out int errno);
        if (fd < 0)
        {
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : throw Failure(path, "open", errno);
        }

        try
        {
            Span<byte> stack = stackalloc byte[StackSize];
            byte[]? heap = null;
            Span<byte> buffer = stack;
            int length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    // Larger than the stack buffer (a long /proc/net/route): grow on the heap.
                    var bigger = new byte[buffer.Length * 2];
                    buffer.CopyTo(bigger);
                    heap = bigger;
                    buffer = heap;
                }

                int n = Sys.TryPread(fd, buffer[length..], length, out errno);
                if (n < 0)
                {
                    throw Failure(path, "read", errno);
                }

                if (n == 0)
                {
                    return Encoding.UTF8.GetString(buffer[..length]);
                }

                length += n;
            }
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary>Like <see cref="TryReadText"/> but a missing file throws <see cref="FileNotFoundException"/>.</summary>
    public static string ReadText(string path) =>
        TryReadText(path) ?? throw new FileNotFoundException($"could not find file '{path}'", path);

    private static IOException Failure(string path, string call, int errno)
    {
        var inner = new SyscallException(call, errno, $"reading {path}");
        return new IOException(inner.Message, inner);
    }
}
