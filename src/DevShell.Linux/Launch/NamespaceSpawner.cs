using System.Runtime.InteropServices;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Launch;

/// <summary>
/// Starts a process as PID 1 of new namespaces without util-linux unshare: one exec, fork and dynamic load less per
/// launch (unshare's own start was ~10 ms of "spawn to stage two's Main" here).
/// <para>
/// unshare(2) changes only the calling thread's namespaces for the flags used here (mount, UTS, IPC, network, and the
/// PID namespace of its future children), so a .NET process can use it on a thread of its own: a fresh thread
/// unshares its filesystem attributes and the namespaces, makes its mount tree private (as `unshare --mount` does),
/// posix_spawns the child, which is PID 1 of the new PID namespace and inherits the others, and ends. No other thread
/// of the process is affected, and no managed code runs in the child. A user namespace still needs util-linux
/// unshare: creating one requires a single-threaded caller.
/// </para>
/// Unlike `unshare --kill-child`, nothing kills the child when its spawner dies; util-linux unshare did not die with
/// the front either, so a launcher killed with -9 leaves its env as before, for `devshell gc` (see SessionReaper).
/// </summary>
public static class NamespaceSpawner
{
    private const ulong MS_REC = 16384, MS_PRIVATE = 1 << 18;

    /// <summary>Spawns <paramref name="path"/> (see <see cref="Spawner.Spawn"/>) in new namespaces; returns its host pid.</summary>
    /// <exception cref="SyscallException">unshare or the mount failed (nothing was started), or the spawn failed.</exception>
    public static int Spawn(int namespaceFlags, string path, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<(int Child, int Parent)> fds, bool newProcessGroup)
        => Start(namespaceFlags, path, argv, env, fds, newProcessGroup, before: null, after: null).Join();

    /// <summary>
    /// Like <see cref="Spawn"/>, but returns at once: the spawn runs on its own thread, after <paramref name="before"/>
    /// (on that thread), and <paramref name="after"/> runs there once it has succeeded or failed (to close the parent's
    /// copies of the child's fds). <see cref="Pending.Join"/> gives the pid, or throws what the spawn threw.
    /// <para>
    /// A plain pthread, not a <see cref="Thread"/>: Thread.Start returns only once the new thread runs (it yields
    /// until then), which kept the launching thread ~0.5 ms longer in its record phase here (2.5 -> 2.1 ms traced; no
    /// change end to end, where stage two's own start is what the launch waits for). The runtime attaches the pthread
    /// when it enters managed code.
    /// </para>
    /// </summary>
    /// <exception cref="SyscallException">The thread could not be started (<paramref name="after"/> has run).</exception>
    public static unsafe Pending Start(int namespaceFlags, string path, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<(int Child, int Parent)> fds, bool newProcessGroup, Action? before, Action? after)
    {
        var pending = new Pending(() =>
        {
            before?.Invoke();
            int e = Sys.TryUnshare(LibC.CLONE_FS | namespaceFlags);
            if (e != 0) throw new SyscallException("unshare", e, "creating the env's namespaces");
            if ((namespaceFlags & LibC.CLONE_NEWNS) != 0)
            {
                e = Sys.TryMount("none", "/", null, MS_REC | MS_PRIVATE);
                if (e != 0) throw new SyscallException("mount", e, "making the env's mount tree private");
            }
            return Spawner.Spawn(path, argv, env, fds, newProcessGroup);
        }, after);
        pending.Self = GCHandle.Alloc(pending);
        nuint thread;
        int rc = Sys.PthreadCreate(&thread, null, &Entry, GCHandle.ToIntPtr(pending.Self));
        if (rc != 0)
        {
            pending.Self.Free();
            after?.Invoke();
            throw new SyscallException("pthread_create", rc, "starting the thread that spawns the env");
        }
        pending.Thread = thread;
        return pending;
    }

    /// <summary>The spawning thread: runs the spawn, keeps its pid or failure (nothing may escape a native thread).</summary>
    [UnmanagedCallersOnly]
    private static nint Entry(nint argument)
    {
        var pending = (Pending)GCHandle.FromIntPtr(argument).Target!;
        try
        {
            pending.Pid = pending.Work();
        }
        catch (Exception ex)
        {
            pending.Failure = ex;
        }
        finally
        {
            try
            {
                pending.After?.Invoke();
            }
            catch (Exception ex)
            {
                pending.Failure ??= ex;
            }
        }
        return 0;
    }

    /// <summary>A spawn under way on its own thread.</summary>
    public sealed class Pending
    {
        private readonly Lock _join = new();
        private bool _joined;
        internal readonly Func<int> Work;
        internal readonly Action? After;
        internal nuint Thread;
        internal GCHandle Self;
        internal int Pid = -1;
        internal Exception? Failure;

        internal Pending(Func<int> work, Action? after)
        {
            Work = work;
            After = after;
        }

        /// <summary>Waits for the spawn; returns the child's pid. May be called more than once, from any thread.</summary>
        /// <exception cref="SyscallException">unshare, the mount or the spawn failed (nothing was started).</exception>
        public unsafe int Join()
        {
            lock (_join)
            {
                if (!_joined)
                {
                    int rc = Sys.PthreadJoin(Thread, null);
                    if (rc != 0) throw new SyscallException("pthread_join", rc, "waiting for the thread that spawns the env");
                    _joined = true;
                    Self.Free();
                }
            }
            if (Failure is not null) throw Failure;
            return Pid;
        }
    }
}
