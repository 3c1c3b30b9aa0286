using System.Runtime.InteropServices;
using System.Text;

namespace DevShell.Stage2.Interop;

/// <summary>A step of stage two failed: carries the step name and errno for the status line.</summary>
internal sealed class StageException(string step, int errno, string message) : Exception(message)
{
    public string Step { get; } = step;
    public int Errno { get; } = errno;
}

/// <summary>Thin, checked wrappers over <see cref="Libc"/>: every failure becomes a <see cref="StageException"/>.</summary>
internal static unsafe class Sys
{
    /// <summary>Syscall numbers for calls glibc 2.36 does not wrap. x86_64 and aarch64.</summary>
    internal static readonly bool IsArm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
    internal static long NrPivotRoot => IsArm64 ? 41 : 155;
    internal static long NrCapset => IsArm64 ? 91 : 126;
    internal static long NrCapget => IsArm64 ? 90 : 125;
    internal const long NrMountSetattr = 442;

    // set*id as raw syscalls, see SetIdentity.
    private static long NrSetgroups => IsArm64 ? 159 : 116;
    private static long NrSetresuid => IsArm64 ? 147 : 117;
    private static long NrSetresgid => IsArm64 ? 149 : 119;

    internal static byte[] Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    internal static void Check(int rc, string step, string what)
    {
        if (rc < 0) Fail(step, Libc.Errno, what);
    }

    /// <summary>
    /// Sets the supplementary groups and gid, and the uid unless <paramref name="uid"/> is null, of the CALLING THREAD
    /// only. glibc's wrappers apply a set*id to every thread of the process (POSIX), signalling each one and waiting
    /// for it: in this NativeAOT process that means waking the runtime's finalizer thread three times on the way to
    /// exec, a scheduling round trip each (measured ~0.1-1 ms apiece on a loaded 2-core host). Stage two changes
    /// identity only right before execve, on the thread that execs; execve ends every other thread, so the program
    /// run holds exactly these credentials, as it already does for the per-thread capset, PR_CAPBSET_DROP,
    /// no_new_privs and seccomp steps. Whatever is spawned in between (on_enter) is cloned from this thread too.
    /// </summary>
    internal static void SetIdentity(IReadOnlyList<int> groups, int gid, int? uid)
    {
        uint* list = stackalloc uint[groups.Count];
        for (int i = 0; i < groups.Count; i++) list[i] = (uint)groups[i];
        if (Libc.syscall(NrSetgroups, groups.Count, (long)list, 0, 0, 0) < 0) Fail("identity", Libc.Errno, "setting supplementary groups");
        if (Libc.syscall(NrSetresgid, gid, gid, gid, 0, 0) < 0) Fail("identity", Libc.Errno, "switching to gid " + Invariant(gid));
        if (uid is int u && Libc.syscall(NrSetresuid, u, u, u, 0, 0) < 0) Fail("identity", Libc.Errno, "switching to uid " + Invariant(u));
    }

    /// <summary>
    /// A number as text without string interpolation: an interpolated int goes through the shared ArrayPool, whose
    /// first use costs a /dev/urandom read and pool set-up, on the launch path.
    /// </summary>
    internal static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static void Fail(string step, int errno, string what) =>
        throw new StageException(step, errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");

    internal static void Mount(string? source, string target, string? fstype, nuint flags, string? data, string step, string what)
    {
        fixed (byte* s = source is null ? null : Z(source))
        fixed (byte* t = Z(target))
        fixed (byte* f = fstype is null ? null : Z(fstype))
        fixed (byte* d = data is null ? null : Z(data))
        {
            Check(Libc.mount(s, t, f, flags, d), step, what);
        }
    }

    /// <summary>Sets or clears MOUNT_ATTR_RDONLY on a mount (and, with recursive, every mount below it).</summary>
    internal static void SetReadOnly(string path, bool readOnly, bool recursive, string step)
    {
        // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
        ulong* attr = stackalloc ulong[4];
        attr[0] = readOnly ? K.MOUNT_ATTR_RDONLY : 0;
        attr[1] = readOnly ? 0 : K.MOUNT_ATTR_RDONLY;
        attr[2] = 0;
        attr[3] = 0;
        fixed (byte* p = Z(path))
        {
            long rc = Libc.syscall(NrMountSetattr, K.AT_FDCWD, (long)p, recursive ? K.AT_RECURSIVE : 0, (long)attr, 32);
            if (rc < 0) Fail(step, Libc.Errno, $"making {path} {(readOnly ? "read-only" : "writable")}");
        }
    }

    internal static int Open(string path, int flags, string step)
    {
        fixed (byte* p = Z(path))
        {
            int fd = Libc.open(p, flags, 0);
            if (fd < 0) Fail(step, Libc.Errno, $"opening {path}");
            return fd;
        }
    }

    internal static void WriteAll(int fd, ReadOnlySpan<byte> data, string step, string what)
    {
        fixed (byte* p = data)
        {
            nint done = 0;
            while (done < data.Length)
            {
                nint n = Libc.write(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    if (Libc.Errno == K.EINTR) continue;
                    Fail(step, Libc.Errno, what);
                }
                done += n;
            }
        }
    }

    /// <summary>Writes a whole small file (cgroup.procs, sysctls) with one write.</summary>
    internal static void WriteFile(string path, string content, string step)
    {
        int fd = Open(path, K.O_WRONLY | K.O_CLOEXEC, step);
        try
        {
            WriteAll(fd, Encoding.ASCII.GetBytes(content), step, $"writing {path}");
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>Best-effort line on a file descriptor (status pipe, stderr); never throws.</summary>
    internal static void TryWriteLine(int fd, string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        fixed (byte* p = bytes)
        {
            nint n;
            do { n = Libc.write(fd, p, bytes.Length); } while (n < 0 && Libc.Errno == K.EINTR);
        }
    }

    /// <summary>
    /// Reads a whole (small) file from <paramref name="fd"/> with pread from offset 0. The buffer starts at 4 KiB
    /// (a spec is usually under 2 KiB) and doubles: every fresh page the GC hands out is a page fault, ~15 µs each on
    /// a VM, and stage two starts twice per launch.
    /// </summary>
    internal static string ReadAllFromFd(int fd)
    {
        var buf = new byte[4096];
        int total = 0;
        bool pipe = false; // PID 1's spec comes down a pipe (its go signal); an attach's or a stage's, from a file
        while (true)
        {
            if (total == buf.Length) Array.Resize(ref buf, buf.Length * 2);
            nint n;
            fixed (byte* p = buf)
            {
                // pread: a stage shares the file (and its offset) with the PID 1 that read it first
                n = pipe ? Libc.read(fd, p + total, buf.Length - total) : Libc.pread(fd, p + total, buf.Length - total, total);
            }
            if (n < 0)
            {
                if (Libc.Errno == K.EINTR) continue;
                if (Libc.Errno == K.ESPIPE && !pipe)
                {
                    pipe = true;
                    continue;
                }
                Fail("spec", Libc.Errno, "reading the launch spec");
            }
            if (n == 0) break;
            total += (int)n;
        }
        if (pipe) SpecFromPipe = buf.AsSpan(0, total).ToArray();
        return Encoding.UTF8.GetString(buf, 0, total);
    }

    /// <summary>The spec as read from a pipe (PID 1's), for <see cref="MakeSpecSeekable"/>; null when it came from a file.</summary>
    private static byte[]? SpecFromPipe;

    /// <summary>
    /// Stages that PID 1 spawns read the spec from the same fd, from its start: when PID 1's came down a pipe (now
    /// empty), puts a memfd with the same bytes in its place, close-on-exec as before. Once; a no-op for a file.
    /// </summary>
    internal static void MakeSpecSeekable(int fd)
    {
        if (SpecFromPipe is not { } bytes) return;
        int mem;
        fixed (byte* name = "devshell-spec\0"u8)
        {
            mem = Libc.memfd_create(name, K.MFD_CLOEXEC);
        }
        if (mem < 0) Fail("spec", Libc.Errno, "keeping the launch spec for the env's stages");
        fixed (byte* p = bytes)
        {
            if (bytes.Length > 0 && Libc.write(mem, p, bytes.Length) != bytes.Length) Fail("spec", Libc.Errno, "keeping the launch spec for the env's stages");
        }
        Check(Libc.dup3(mem, fd, K.O_CLOEXEC), "spec", "keeping the launch spec for the env's stages");
        Libc.close(mem);
        SpecFromPipe = null;
    }

    /// <summary>A NULL-terminated array of C strings, kept alive until disposed.</summary>
    internal sealed class CStringArray : IDisposable
    {
        private readonly nint[] _items;
        private readonly nint _array;

        public CStringArray(IReadOnlyList<string> items)
        {
            _items = new nint[items.Count];
            _array = (nint)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(nint));
            for (int i = 0; i < items.Count; i++)
            {
                var z = Z(items[i]);
                _items[i] = (nint)NativeMemory.Alloc((nuint)z.Length);
                Marshal.Copy(z, 0, _items[i], z.Length);
                ((nint*)_array)[i] = _items[i];
            }
        }

        public byte** Pointer => (byte**)_array;

        public void Dispose()
        {
            foreach (var p in _items) NativeMemory.Free((void*)p);
            NativeMemory.Free((void*)_array);
        }
    }

    /// <summary>
    /// posix_spawn with the given fds mapped (child fd = key, parent fd = value), signal mask emptied and every
    /// signal reset to default (the .NET runtime ignores SIGPIPE, which execve would otherwise pass on). With
    /// <paramref name="newSession"/> the child calls setsid before it execs. glibc reports a failed execve as the
    /// return value, so a failure here is either the clone or the exec; <paramref name="step"/> and
    /// <paramref name="what"/> name it for the status line (default: "spawn", "starting PATH").
    /// </summary>
    internal static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, (int Child, int Parent)[] fds,
        bool newSession = false, string step = "spawn", string? what = null)
    {
        void* fa = NativeMemory.AllocZeroed(512);
        void* attr = NativeMemory.AllocZeroed(512);
        byte* set = stackalloc byte[128];
        try
        {
            Libc.posix_spawn_file_actions_init(fa);
            foreach (var (child, parent) in fds) Libc.posix_spawn_file_actions_adddup2(fa, parent, child);
            Libc.posix_spawnattr_init(attr);
            Libc.posix_spawnattr_setflags(attr, (short)(K.POSIX_SPAWN_SETSIGMASK | K.POSIX_SPAWN_SETSIGDEF | (newSession ? K.POSIX_SPAWN_SETSID : 0)));
            Libc.sigemptyset(set);
            Libc.posix_spawnattr_setsigmask(attr, set);
            Libc.sigfillset(set);
            Libc.posix_spawnattr_setsigdefault(attr, set);
            using var a = new CStringArray(argv);
            using var e = new CStringArray(env);
            int pid;
            fixed (byte* p = Z(path))
            {
                int rc = Libc.posix_spawn(&pid, p, fa, attr, a.Pointer, e.Pointer);
                if (rc != 0) Fail(step, rc, what ?? $"starting {path}");
            }
            return pid;
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(fa);
            Libc.posix_spawnattr_destroy(attr);
            NativeMemory.Free(fa);
            NativeMemory.Free(attr);
        }
    }

    /// <summary>
    /// A stage started before pivot_root waits here for its go byte on fd 5. True to go on (also when there is no
    /// fd 5: the stage was not started early); false when the pipe closed without a go.
    /// </summary>
    internal static bool AwaitGo()
    {
        const int go = Linux.Launch.StatusProtocol.GoFd;
        if (Libc.fcntl(go, 1 /* F_GETFD */, 0) < 0) return true;
        byte b = 1;
        Libc.write(go, &b, 1); // loaded
        nint n;
        do { n = Libc.read(go, &b, 1); } while (n < 0 && Libc.Errno == K.EINTR);
        Libc.close(go);
        return n == 1;
    }

    /// <summary>Decodes a wait status into the shell convention: exit code, or 128+signal.</summary>
    internal static (int Code, int Signal) DecodeWait(int status)
    {
        int sig = status & 0x7f;
        if (sig == 0) return ((status >> 8) & 0xff, 0);
        return (128 + sig, sig);
    }
}
