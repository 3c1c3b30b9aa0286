using System.Runtime.InteropServices;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// PID 1 spends an env's life in waitpid. Starting it touched most of its own 2.4 MB binary (the kernel maps up to
/// 16 pages around each fault), and those pages stayed mapped: ~2 MB of every idle env's RSS, although they are clean
/// pages of the page cache, shared by every env (PSS ~0.36 MB). Once the command has run for a second, PID 1 unmaps
/// its clean, read-only pages of the binary (MADV_DONTNEED): the page cache keeps them, and the few its reap loop
/// needs fault back in. Only mappings with no anonymous (copied-on-write) page are dropped, so nothing written since
/// the start (relocations, the GOT) is lost.
/// </summary>
internal static unsafe class IdlePages
{
    private const int NrPidfdOpen = 434;
    private const int MadvDontneed = 4;
    private const short PollIn = 1;

    /// <summary>How long the command runs before PID 1 counts as idle.</summary>
    private const int IdleAfterMs = 1000;

    /// <summary>Waits up to <see cref="IdleAfterMs"/> for <paramref name="pid"/> to end; if it has not, drops the pages.</summary>
    public static void DropWhenIdle(int pid)
    {
        if (pid <= 0) return;
        int pidfd = (int)Libc.syscall(NrPidfdOpen, pid, 0, 0, 0, 0);
        if (pidfd < 0) return; // already reaped, or an old kernel: only memory is at stake
        try
        {
            PollFd p = new() { Fd = pidfd, Events = PollIn };
            int r;
            do { r = Libc.poll(&p, 1, IdleAfterMs); } while (r < 0 && Libc.Errno == K.EINTR);
            if (r == 0) Drop();
        }
        finally
        {
            Libc.close(pidfd);
        }
    }

    /// <summary>
    /// MADV_DONTNEED on every read-only mapping of this binary that holds no anonymous page. It allocates nothing on the
    /// managed heap (that would grow PID 1's anonymous memory by as much as it frees) and runs no code between the
    /// first madvise and its return (code run after it faults its pages back in, 64 KB around each).
    /// </summary>
    private static void Drop()
    {
        byte* exe = stackalloc byte[4096];
        int exeLength;
        fixed (byte* self = "/proc/self/exe\0"u8) exeLength = (int)Libc.readlink(self, exe, 4095);
        if (exeLength <= 0) return;

        const int MaxRanges = 64;
        ulong* starts = stackalloc ulong[MaxRanges];
        ulong* ends = stackalloc ulong[MaxRanges];
        int count = 0;
        nuint size = 64 * 1024;
        byte* text = (byte*)NativeMemory.Alloc(size);
        try
        {
            int fd;
            fixed (byte* path = "/proc/self/smaps\0"u8) fd = Libc.open(path, K.O_RDONLY | K.O_CLOEXEC, 0);
            if (fd < 0) return;
            nuint length = 0;
            try
            {
                while (true)
                {
                    if (length == size) text = (byte*)NativeMemory.Realloc(text, size *= 2);
                    nint n = Libc.read(fd, text + length, (nint)(size - length));
                    if (n < 0 && Libc.Errno == K.EINTR) continue;
                    if (n <= 0) break;
                    length += (nuint)n;
                }
            }
            finally
            {
                Libc.close(fd);
            }

            var all = new ReadOnlySpan<byte>(text, (int)length);
            var name = new ReadOnlySpan<byte>(exe, exeLength);
            bool candidate = false;
            ulong start = 0, end = 0;
            while (all.Length > 0 && count < MaxRanges)
            {
                int newline = all.IndexOf((byte)'\n');
                var line = newline < 0 ? all : all[..newline];
                all = newline < 0 ? default : all[(newline + 1)..];
                if (TryHeader(line, out ulong from, out ulong to, out bool readOnly, out var path))
                {
                    (start, end) = (from, to);
                    candidate = readOnly && path.SequenceEqual(name);
                }
                else if (candidate && line.StartsWith("Anonymous:"u8))
                {
                    if (line[10..].TrimStart((byte)' ').StartsWith("0 kB"u8))
                    {
                        starts[count] = start;
                        ends[count] = end;
                        count++;
                    }
                    candidate = false;
                }
            }
        }
        finally
        {
            NativeMemory.Free(text);
        }

        for (int i = 0; i < count; i++) Libc.madvise((void*)starts[i], (nuint)(ends[i] - starts[i]), MadvDontneed);
    }

    /// <summary>A mapping's first line: "START-END PERMS OFFSET DEV INODE [PATH]"; read-only: "r" and no "w".</summary>
    private static bool TryHeader(ReadOnlySpan<byte> line, out ulong start, out ulong end, out bool readOnly, out ReadOnlySpan<byte> path)
    {
        start = end = 0;
        readOnly = false;
        path = default;
        int dash = line.IndexOf((byte)'-');
        int space = line.IndexOf((byte)' ');
        if (dash <= 0 || space <= dash || line.Length < space + 5 || line[space + 5] != (byte)' ') return false;
        if (!TryHex(line[..dash], out start) || !TryHex(line[(dash + 1)..space], out end)) return false;
        readOnly = line[space + 1] == (byte)'r' && line[space + 2] != (byte)'w';
        // The path is what follows the inode field, after its padding; an anonymous mapping has none.
        var rest = line[(space + 6)..];
        for (int field = 0; field < 3; field++)
        {
            int gap = rest.IndexOf((byte)' ');
            if (gap < 0)
            {
                rest = default;
                break;
            }
            rest = rest[(gap + 1)..];
        }
        path = rest.TrimStart((byte)' ');
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.Length is 0 or > 16) return false;
        foreach (byte b in digits)
        {
            int d = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : b is >= (byte)'a' and <= (byte)'f' ? b - 'a' + 10 : -1;
            if (d < 0) return false;
            value = (value << 4) | (uint)d;
        }
        return true;
    }
}
