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
/// capability: it still reaps, kills and reports. The thread ends after the spawn; while it runs, the main thread
/// only waits for it (so the on_enter child is not reaped by PID 1's loop).
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

    /// <summary>What the thread did: the pid it spawned (or -1), or the step that failed.</summary>
    internal sealed class Outcome
    {
        public int Pid = -1;
        public StageException? Failure;
    }

    /// <summary>
    /// Runs the payload's steps for the shell or command (<paramref name="hook"/> null) or a hook on a fresh thread
    /// and waits for it. PID 1 has written "ready" already, as it did after spawning a payload stage: a failure is
    /// reported like the payload's own.
    /// </summary>
    public static Outcome Run(LaunchSpec spec, string? hook)
    {
        var outcome = new Outcome();
        var thread = new Thread(() =>
        {
            try
            {
                outcome.Pid = Steps(spec, hook);
            }
            catch (StageException e)
            {
                outcome.Failure = e;
            }
            catch (Exception e)
            {
                outcome.Failure = new StageException("spawn", 5 /* EIO */, $"starting {(hook ?? "the command")}: {e.Message}");
            }
        });
        thread.Start();
        thread.Join();
        return outcome;
    }

    private static int Steps(LaunchSpec spec, string? hook)
    {
        // A working directory of this thread's own: chdir below must not move PID 1's.
        Sys.Check(Libc.unshare(K.CLONE_FS), "chdir", "giving the start thread its own working directory");

        // While this thread runs as the developer, a process of theirs passes ptrace's uid check against it, and the
        // memory it would reach is all of PID 1's. The kernel makes the process non-dumpable when a thread's euid
        // changes, but only if fs.suid_dumpable is 0: say so explicitly, whatever the host's setting.
        Sys.Check(Libc.prctl(K.PR_SET_DUMPABLE, 0, 0, 0, 0), "identity", "making PID 1 non-dumpable before the drop");

        ulong keep = Capabilities.MaskOf(spec.KeepCaps);
        Capabilities.DropBounding(keep, Capabilities.LastCap());
        Sys.SetIdentity(spec.Groups.Count > 0 ? spec.Groups : [spec.Gid], spec.Gid, spec.Uid);
        Capabilities.SetExactly(keep);

        fixed (byte* cwd = Sys.Z(spec.Cwd))
        {
            Sys.Check(Libc.chdir(cwd), "chdir", $"entering the working directory {spec.Cwd}");
        }

        Sys.Check(Libc.prctl(K.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "nnp", "setting no_new_privs");
        if (spec.Seccomp) Seccomp.Install();

        List<string> argv = hook is not null ? ["/bin/sh", "-c", spec.OnExit ?? ""] : [.. spec.Argv];
        if (hook is null && spec.OnEnter is not null) Payload.RunOnEnter(spec, newSession: true);
        string path = Payload.Resolve(argv[0], spec.Env);
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
