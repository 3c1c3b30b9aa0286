using System.Runtime.InteropServices;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch;

/// <summary>
/// Starts a process with posix_spawn (glibc uses clone(CLONE_VM|CLONE_VFORK) + exec, so no managed code runs in the
/// child — unlike fork from .NET, which hung 1–4% of the time here). Chosen fds are mapped, the signal mask is
/// emptied and every signal reset to default (the .NET runtime ignores SIGPIPE, which exec would pass on).
/// </summary>
public static unsafe class Spawner
{
    /// <param name="fds">child fd → parent fd; only these (and nothing else) are open in the child: every fd .NET opens
    /// is close-on-exec, and so is, after the first spawn, every fd devshell inherited from whoever started it.</param>
    /// <param name="newProcessGroup">put the child in a process group of its own, so terminal signals meant for the front don't reach it.</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<(int Child, int Parent)> fds, bool newProcessGroup)
    {
        CloseInheritedOnExec();
        void* fa = NativeMemory.AllocZeroed(512);
        void* attr = NativeMemory.AllocZeroed(512);
        byte* set = stackalloc byte[128];
        var args = new CStrings(argv);
        var envp = new CStrings(env);
        try
        {
            _ = Libc.posix_spawn_file_actions_init(fa);
            foreach (var (child, parent) in fds) _ = Libc.posix_spawn_file_actions_adddup2(fa, parent, child);
            _ = Libc.posix_spawnattr_init(attr);
            short flags = Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF;
            if (newProcessGroup)
            {
                flags |= Libc.POSIX_SPAWN_SETPGROUP;
                _ = Libc.posix_spawnattr_setpgroup(attr, 0);
            }
            _ = Libc.posix_spawnattr_setflags(attr, flags);
            _ = Libc.sigemptyset(set);
            _ = Libc.posix_spawnattr_setsigmask(attr, set);
            _ = Libc.sigfillset(set);
            _ = Libc.posix_spawnattr_setsigdefault(attr, set);
            int pid;
            fixed (byte* p = Check.Z(path))
            {
                int rc = Libc.posix_spawn(&pid, p, fa, attr, args.Pointer, envp.Pointer);
                if (rc != 0) throw new SyscallException("posix_spawn", rc, $"starting {path}");
            }
            return pid;
        }
        finally
        {
            _ = Libc.posix_spawn_file_actions_destroy(fa);
            _ = Libc.posix_spawnattr_destroy(attr);
            NativeMemory.Free(fa);
            NativeMemory.Free(attr);
            args.Dispose();
            envp.Dispose();
        }
    }

    /// <summary>A close-on-exec pipe; <paramref name="what"/> names it in the error.</summary>
    public static (int Read, int Write) Pipe(string what)
    {
        int* fds = stackalloc int[2];
        Check.Ok(Libc.pipe2(fds, Libc.O_CLOEXEC), "pipe2", $"creating {what}");
        return (fds[0], fds[1]);
    }

    private static int _inheritedClosed;

    /// <summary>
    /// Marks every fd from 3 up close-on-exec, once per process. The fds devshell inherited from its caller (a CI
    /// runner's pipes, a jobserver, an open directory or the host's terminal on another number) would otherwise pass
    /// through unshare and stage two into the env: an open directory there reaches the host's files past the mount
    /// namespace. .NET's own fds are close-on-exec already, and the fds a spawn maps are dup2'ed (which clears the flag).
    /// </summary>
    public static void CloseInheritedOnExec()
    {
        if (Interlocked.Exchange(ref _inheritedClosed, 1) != 0) return;
        if (Sys.TryMarkCloseOnExecFrom(3) == 0) return;
        // Kernels before 5.11 lack close_range: walk /proc/self/fd instead.
        foreach (var entry in Directory.EnumerateFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out int fd) && fd >= 3) _ = Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
        }
    }

    /// <summary>Blocks until the child exits; returns its exit code, or 128+signal.</summary>
    public static int Wait(int pid)
    {
        int status;
        while (Libc.waitpid(pid, &status, 0) < 0)
        {
            int e = Marshal.GetLastPInvokeError();
            if (e == Errno.EINTR) continue;
            if (e == Errno.ECHILD) return -1;
            throw new SyscallException("waitpid", e, $"waiting for process {pid}");
        }
        return Decode(status);
    }

    /// <summary>Non-blocking wait: null while the child runs.</summary>
    public static int? TryWait(int pid)
    {
        int status;
        int rc = Libc.waitpid(pid, &status, Libc.WNOHANG);
        if (rc == 0) return null;
        if (rc < 0) return Marshal.GetLastPInvokeError() == Errno.ECHILD ? -1 : null;
        return Decode(status);
    }

    public static int Decode(int status)
    {
        int sig = status & 0x7f;
        return sig == 0 ? (status >> 8) & 0xff : 128 + sig;
    }

    /// <summary>Finds an executable on PATH (the front's own PATH plus the sbin dirs, since it runs as root).</summary>
    public static string? Which(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal)) return File.Exists(name) ? name : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private sealed class CStrings : IDisposable
    {
        private readonly nint[] _items;
        private readonly nint _array;

        public CStrings(IReadOnlyList<string> items)
        {
            _items = new nint[items.Count];
            _array = (nint)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(nint));
            for (int i = 0; i < items.Count; i++)
            {
                _items[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
                ((nint*)_array)[i] = _items[i];
            }
        }

        public byte** Pointer => (byte**)_array;

        public void Dispose()
        {
            foreach (var p in _items) Marshal.FreeCoTaskMem(p);
            NativeMemory.Free((void*)_array);
        }
    }
}
