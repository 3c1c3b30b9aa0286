using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>Turns this process into the developer's shell: session, terminal, identity, capabilities, filter, exec.</summary>
internal static unsafe class Payload
{
    public static int Run(LaunchSpec spec, string? hook)
    {
        Libc.fcntl(StatusProtocol.StatusFd, K.F_SETFD, K.FD_CLOEXEC);
        Libc.fcntl(StatusProtocol.SpecFd, K.F_SETFD, K.FD_CLOEXEC);
        Libc.fcntl(StatusProtocol.Stage2Fd, K.F_SETFD, K.FD_CLOEXEC); // attach hands the binary over on fd 6

        // Its own session: nothing inside can reach the host's terminal as its controlling tty.
        Sys.Check(Libc.setsid(), "session", "starting a new session");
        if (spec.Tty && hook is null)
        {
            Sys.Check(Libc.ioctl(0, K.TIOCSCTTY, 0), "tty", "taking the env's terminal as controlling terminal");
        }

        ulong keep = Capabilities.MaskOf(spec.KeepCaps);
        if (spec.UserNamespace && !Capabilities.HasEffective(K.CAP_SETPCAP))
        {
            // attach into a user namespace: nsenter joined it and switched to the developer (stage two's join mode set
            // the gid and groups beforehand). Root is unmapped there, so the exec into this stage dropped every
            // capability, and with them the power to shrink the bounding set, which only a gain at exec would use:
            // as the developer with no_new_privs, nothing can become root there, and file capabilities of host files
            // do not apply in it.
            if (Libc.getuid() != (uint)spec.Uid) Sys.Fail("identity", K.EPERM, $"joining the user namespace left uid {Libc.getuid()}, not {spec.Uid}");
            Sys.Check(Libc.prctl(K.PR_CAP_AMBIENT, K.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "caps", "clearing ambient capabilities");
        }
        else
        {
            Capabilities.DropBounding(keep, Capabilities.LastCap());
            DropIdentity(spec);
        }
        Capabilities.SetExactly(keep);

        fixed (byte* cwd = Sys.Z(spec.Cwd))
        {
            Sys.Check(Libc.chdir(cwd), "chdir", $"entering the working directory {spec.Cwd}");
        }

        Sys.Check(Libc.prctl(K.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "nnp", "setting no_new_privs");
        if (spec.Seccomp) Seccomp.Install();

        // The .NET runtime ignores SIGPIPE and may block signals; the shell must start with neither.
        Libc.signal(K.SIGPIPE, 0);
        byte* set = stackalloc byte[128];
        Libc.sigemptyset(set);
        Libc.sigprocmask(K.SIG_SETMASK, set, null);

        IReadOnlyList<string> argv = spec.Argv;
        if (hook is not null)
        {
            argv = ["/bin/sh", "-c", spec.OnExit ?? ""];
        }
        else if (spec.OnEnter is not null)
        {
            RunOnEnter(spec);
        }
        Exec(argv, spec.Env);
        return StatusProtocol.ExecFailedExitCode; // not reached
    }

    private static void DropIdentity(LaunchSpec spec)
    {
        Sys.SetIdentity(spec.Groups.Count > 0 ? spec.Groups : [spec.Gid], spec.Gid, spec.Uid);
    }

    /// <summary>on_enter runs inside, as the developer, under the same filter; a failure is reported and the shell still starts.</summary>
    internal static void RunOnEnter(LaunchSpec spec, bool newSession = false)
    {
        int pid = Sys.Spawn("/bin/sh", ["/bin/sh", "-c", spec.OnEnter!], spec.Env, [(0, 0), (1, 1), (2, 2)], newSession);
        int st;
        while (Libc.waitpid(pid, &st, 0) < 0)
        {
            if (Libc.Errno != K.EINTR) return;
        }
        var (code, _) = Sys.DecodeWait(st);
        if (code != 0)
        {
            Sys.TryWriteLine(StatusProtocol.StatusFd, StatusProtocol.Hook + " on_enter " + Sys.Invariant(code));
            Sys.TryWriteLine(2, $"devshell: the on_enter hook failed with exit code {code}; starting the shell anyway");
        }
    }

    private static void Exec(IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        string path = Resolve(argv[0], env);
        using var a = new Sys.CStringArray(argv);
        using var e = new Sys.CStringArray(env);
        fixed (byte* p = Sys.Z(path))
        {
            Libc.execve(p, a.Pointer, e.Pointer);
        }
        Sys.Fail("exec", Libc.Errno, $"running {argv[0]}");
    }

    internal static string Resolve(string file, IReadOnlyList<string> env)
    {
        if (file.Contains('/', StringComparison.Ordinal)) return file;
        string path = "/usr/local/bin:/usr/bin:/bin";
        foreach (var kv in env)
        {
            if (kv.StartsWith("PATH=", StringComparison.Ordinal)) path = kv[5..];
        }
        foreach (var dir in path.Split(':'))
        {
            var candidate = Path.Combine(dir.Length == 0 ? "." : dir, file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new StageException("exec", K.ENOENT, $"{file}: command not found");
    }
}
