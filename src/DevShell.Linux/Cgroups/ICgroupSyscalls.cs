using System.Text;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// The kernel boundary of the cgroup drivers (the seam for fixture-tree tests). Calls return an errno (0 on
/// success) because EEXIST, EBUSY, ENOENT and ESRCH are ordinary outcomes here; the drivers turn the others into
/// <see cref="SyscallException"/> with what they were doing.
/// </summary>
internal interface ICgroupSyscalls
{
    int Mkdir(string path);

    int Rmdir(string path);

    /// <summary>Writes <paramref name="value"/> in one write(2) (open O_WRONLY|O_TRUNC, no O_CREAT).</summary>
    int WriteFile(string path, string value);

    /// <summary>Reads a whole (small) file; null if it cannot be opened or read.</summary>
    string? TryReadFile(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>Immediate subdirectories; empty if <paramref name="path"/> does not exist.</summary>
    IReadOnlyList<string> SubDirectories(string path);

    int Kill(int pid, int signal);
}

/// <summary>The real thing: libc calls on the real file system.</summary>
internal sealed class LinuxCgroupSyscalls : ICgroupSyscalls
{
    public static LinuxCgroupSyscalls Instance { get; } = new();

    public int Mkdir(string path) => Sys.TryMkdir(path, 0b111_101_101);

    public int Rmdir(string path) => Sys.TryRmdir(path);

    public int WriteFile(string path, string value)
    {
        int fd = Sys.TryOpen(path, LibC.O_WRONLY | LibC.O_TRUNC, out int errno);
        if (fd < 0)
        {
            return errno;
        }

        try
        {
            Span<byte> stack = stackalloc byte[256];
            int max = Encoding.UTF8.GetMaxByteCount(value.Length);
            Span<byte> bytes = max <= stack.Length ? stack : new byte[max];
            int n = Encoding.UTF8.GetBytes(value, bytes);
            return Sys.TryWriteAll(fd, bytes[..n]);
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    public string? TryReadFile(string path)
    {
        int fd = Sys.TryOpen(path, LibC.O_RDONLY, out _);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            // cgroup/proc files report size 0, so read until EOF with a growing buffer.
            byte[] buffer = new byte[4096];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                int n = Sys.TryPread(fd, buffer.AsSpan(total), total, out _);
                if (n < 0)
                {
                    return null;
                }

                if (n == 0)
                {
                    return Encoding.UTF8.GetString(buffer, 0, total);
                }

                total += n;
            }
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IReadOnlyList<string> SubDirectories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    public int Kill(int pid, int signal) => Sys.TryKill(pid, signal);
}
