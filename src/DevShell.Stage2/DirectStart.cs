using System.Runtime.InteropServices;
using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// The payload's steps done by PID 1 itself, on a thread of its own, so the command is posix_spawned straight from
/// PID 1 instead of through a second start of this NativeAOT binary (the <c>payload</c> mode). That start, ~6-8 ms
/// on this host, was the largest single cost between "PID 1 is ready" and the command's exec.
/// <para>
/// Everything the payload changes is per thread in Linux, and a child is cloned from the thread that spawns it:
/// the credentials (set with raw syscalls, see <see cref="Sys.SetIdentity"/>), the capability sets, the bounding
/// set and ambient set, no_new_privs and the seccomp filter (installed without TSYNC) all stay on this thread, and
/// <c>unshare(CLONE_FS)</c> gives it its own working directory. PID 1's main thread keeps root and every
/// capability: it still reaps, kills and reports. The thread drops privileges while the main thread builds the env,
/// then waits for it to finish (<see cref="Begin"/>, <see cref="Finish"/>); it ends after the spawn, and the main
/// thread reaps nothing until it has (so the on_enter child is not reaped by PID 1's loop).
/// </para>
/// <para>
/// The new session comes from POSIX_SPAWN_SETSID. With a terminal, the shell must also take it as its controlling
/// terminal (TIOCSCTTY, which posix_spawn cannot do; reopening the terminal to acquire it fails as the developer,
/// the pty belongs to root): util-linux <c>setsid --ctty</c> (a small C program) does setsid and TIOCSCTTY on fd 0,
/// then execs the shell. Not used with a user namespace (util-linux unshare must create it, from a single-threaded
/// process) or a rootfs (the payload then starts before pivot_root, and the rootfs has no setsid):
/// <see cref="AppliesToMain"/>, <see cref="AppliesToHook"/>.
/// </para>
/// </summary>
internal static unsafe class DirectStart
{
    /// <summary>util-linux setsid, or null when it is not installed (the payload stage is used then). Looked up once.</summary>
    private static readonly string? SetsidPath = Array.Find(["/usr/bin/setsid", "/bin/setsid"], File.Exists);

    /// <summary>Whether the shell or command is started this way.</summary>
    public static bool AppliesToMain(LaunchSpec spec) => AppliesToHook(spec) && (!spec.Tty || SetsidPath is not null);

    /// <summary>Whether the on_exit hook is started this way (hooks never take the terminal).</summary>
    public static bool AppliesToHook(LaunchSpec spec) => !spec.UserNamespace && spec.RootMode != "rootfs";

    /// <summary>
    /// A start thread on its way: <see cref="Begin"/> starts it, <see cref="Finish"/> lets it start the command and
    /// collects what it did. In between, PID 1's main thread goes on building the env while the thread drops to the
    /// developer: the drop overlaps the mounts instead of following them.
    /// </summary>
    internal sealed class Start
    {
        internal readonly LaunchSpec Spec;
        internal readonly string? Hook;

        /// <summary>An eventfd the thread blocks on, with no spinning, until <see cref="Finish"/> says the env is built.</summary>
        internal readonly int Go;

        internal nuint Thread;
        internal GCHandle Self;

        /// <summary>The pid the thread spawned, or -1; valid after <see cref="Finish"/>.</summary>
        public int Pid = -1;

        /// <summary>The step that failed, if one did; valid after <see cref="Finish"/>.</summary>
        public StageException? Failure;

        internal Start(LaunchSpec spec, string? hook, int go)
        {
            Spec = spec;
            Hook = hook;
            Go = go;
        }
    }

    /// <summary>
    /// Starts the thread for the shell or command (<paramref name="hook"/> null) or a hook. It drops privileges right
    /// away, then waits for <see cref="Finish"/> before it enters the working directory and spawns.
    /// <para>
    /// Call it only once PID 1 has joined every namespace it joins itself (cgroup namespace, prepared network
    /// namespace): a thread keeps the namespaces it was created in, and the command is cloned from it. Mounts and the
    /// hostname may follow: they change namespaces the thread shares.
    /// </para>
    /// <para>
    /// A plain pthread, not a <see cref="System.Threading.Thread"/>: Thread.Start spins on sched_yield until the new
    /// thread has started, which on a loaded 2-core host kept a CPU from the thread and the command it spawns
    /// (Thread.Start returned only after the spawn had begun). The runtime attaches the pthread when it first runs
    /// managed code.
    /// </para>
    /// </summary>
    public static Start Begin(LaunchSpec spec, string? hook)
    {
        int go = Libc.eventfd(0, K.EFD_CLOEXEC);
        Sys.Check(go, "spawn", "creating the start thread's go signal");
        var start = new Start(spec, hook, go);
        start.Self = GCHandle.Alloc(start);
        nuint thread;
        int rc = Libc.pthread_create(&thread, null, &Entry, GCHandle.ToIntPtr(start.Self));
        if (rc != 0)
        {
            start.Self.Free();
            Libc.close(go);
            Sys.Fail("spawn", rc, $"starting a thread for {hook ?? "the command"}");
        }
        start.Thread = thread;
        return start;
    }

    /// <summary>Tells the thread the env is built, waits for it to end, and returns it with its pid or failure.</summary>
    public static Start Finish(Start start)
    {
        ulong one = 1;
        nint n;
        do { n = Libc.write(start.Go, (byte*)&one, sizeof(ulong)); } while (n < 0 && Libc.Errno == K.EINTR);
        int rc = Libc.pthread_join(start.Thread, null);
        Libc.close(start.Go);
        start.Self.Free();
        if (rc != 0 && start.Failure is null && start.Pid < 0)
        {
            start.Failure = new StageException("spawn", rc, $"waiting for the start thread of {start.Hook ?? "the command"}");
        }
        return start;
    }

    /// <summary>The thread: every step of the payload, failures kept for <see cref="Finish"/> (nothing may escape a native thread).</summary>
    [UnmanagedCallersOnly]
    private static nint Entry(nint arg)
    {
        Timing.Mark("t.run");
        var start = (Start)GCHandle.FromIntPtr(arg).Target!;
        try
        {
            Drop(start.Spec);
            Timing.Mark("t.dropped");
            AwaitGo(start.Go);
            Timing.Mark("t.go");
            start.Pid = Launch(start.Spec, start.Hook);
            Timing.Mark("t.spawned");
        }
        catch (StageException e)
        {
            start.Failure = e;
        }
        catch (Exception e)
        {
            start.Failure = new StageException("spawn", 5 /* EIO */, $"starting {(start.Hook ?? "the command")}: {e.Message}");
        }
        return 0;
    }

    private static void AwaitGo(int go)
    {
        ulong value;
        nint n;
        do { n = Libc.read(go, (byte*)&value, sizeof(ulong)); } while (n < 0 && Libc.Errno == K.EINTR);
        if (n != sizeof(ulong)) Sys.Fail("spawn", n < 0 ? Libc.Errno : 5 /* EIO */, "waiting for the env to be built");
    }

    /// <summary>Credentials, capabilities, no_new_privs and the filter: all per thread, none of them touch PID 1's main thread.</summary>
    private static void Drop(LaunchSpec spec)
    {
        // A working directory of this thread's own, so its chdir does not move PID 1's. Before the filter, which
        // refuses unshare. The copy holds the same root as PID 1's, whatever is mounted afterwards.
        Sys.Check(Libc.unshare(K.CLONE_FS), "chdir", "giving the start thread its own working directory");

        // While this thread runs as the developer, a process of theirs passes ptrace's uid check against it, and the
        // memory it would reach is all of PID 1's. The kernel makes the process non-dumpable when a thread's euid
        // changes, but only if fs.suid_dumpable is 0: say so explicitly, whatever the host's setting.
        Sys.Check(Libc.prctl(K.PR_SET_DUMPABLE, 0, 0, 0, 0), "identity", "making PID 1 non-dumpable before the drop");

        ulong keep = Capabilities.MaskOf(spec.KeepCaps);
        Capabilities.DropBounding(keep, Capabilities.LastCap());
        Timing.Mark("t.bounding");
        Sys.SetIdentity(spec.Groups.Count > 0 ? spec.Groups : [spec.Gid], spec.Gid, spec.Uid);
        Capabilities.SetExactly(keep);
        Sys.Check(Libc.prctl(K.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "nnp", "setting no_new_privs");
        Timing.Mark("t.nnp");
        if (spec.Seccomp) Seccomp.Install();
        Timing.Mark("t.seccomp");
    }

    /// <summary>Once the env is built: the working directory, on_enter, and the spawn.</summary>
    private static int Launch(LaunchSpec spec, string? hook)
    {
        // After the mounts: the directory entered is the one mounted there, if any.
        fixed (byte* cwd = Sys.Z(spec.Cwd))
        {
            Sys.Check(Libc.chdir(cwd), "chdir", $"entering the working directory {spec.Cwd}");
        }

        List<string> argv = hook is not null ? ["/bin/sh", "-c", spec.OnExit ?? ""] : [.. spec.Argv];
        if (hook is null && spec.OnEnter is not null) Payload.RunOnEnter(spec, newSession: true);
        string path = Payload.Resolve(argv[0], spec.Env);
        Timing.Mark("t.resolved");
        string what = $"running {argv[0]}";
        if (spec.Tty && hook is null)
        {
            // setsid makes its own session (it is no process group leader, so it does not fork) and takes fd 0, the
            // env's terminal, as controlling terminal, then execs the shell in place: the shell is the session leader.
            string setsid = SetsidPath ?? throw new StageException("tty", K.ENOENT, "util-linux setsid is not installed");
            argv[0] = path;
            argv.InsertRange(0, [setsid, "--ctty", "--"]);
            return Sys.Spawn(setsid, argv, spec.Env, [(0, 0), (1, 1), (2, 2)], newSession: false, "exec", what);
        }
        return Sys.Spawn(path, argv, spec.Env, [(0, 0), (1, 1), (2, 2)], newSession: true, "exec", what);
    }
}
