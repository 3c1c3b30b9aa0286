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
    /// <param name="fds">child fd → parent fd; only these (and nothing else) are open in the child, since every fd .NET opens is close-on-exec.</param>
    /// <param name="newProcessGroup">put the child in a process group of its own, so terminal signals meant for the front don't reach it.</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<(int Child, int Parent)> fds, bool newProcessGroup)
    {
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
