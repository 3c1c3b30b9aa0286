using System.Text;
using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>PID 1 of an env: builds it, starts the shell, reaps orphans, reports the shell's exit on the status pipe.</summary>
internal static unsafe class Init
{
    public static int Run(LaunchSpec spec)
    {
        const int status = StatusProtocol.StatusFd;
        Libc.fcntl(status, K.F_SETFD, K.FD_CLOEXEC);
        Libc.fcntl(StatusProtocol.SpecFd, K.F_SETFD, K.FD_CLOEXEC);
        Timing.Open();

        // The namespaces PID 1 joins itself come first: a thread keeps the namespaces it was created in, and the start
        // thread below must be created in the env's. A cgroup namespace's root is the cgroup its creator is in, so with
        // one the cgroups are joined before it; without one they are joined after the thread has begun (cgroup.procs
        // moves every thread of the process), which lets the thread's privilege drop overlap the joins.
        if (spec.NetnsPath is not null)
        {
            int fd = Sys.Open(spec.NetnsPath, K.O_RDONLY | K.O_CLOEXEC, "netns");
            Sys.Check(Libc.setns(fd, K.CLONE_NEWNET), "netns", $"joining the network namespace {spec.NetnsPath}");
            Libc.close(fd);
        }
        if (spec.CgroupNamespace)
        {
            JoinCgroups(spec);
            Sys.Check(Libc.unshare(K.CLONE_NEWCGROUP), "cgroupns", "creating a cgroup namespace");
        }

        // Without a user namespace or rootfs, PID 1 starts the command from a thread of its own (DirectStart), begun as
        // early as the namespaces allow: it drops to the developer while this thread mounts /proc, joins the cgroups,
        // brings up loopback, builds the mounts and sets the hostname (mounts are shared: the thread's view follows).
        bool early = spec.RootMode == "rootfs" || spec.UserNamespace;
        var direct = !early && DirectStart.AppliesToMain(spec) ? DirectStart.Begin(spec, hook: null) : null;
        Timing.Mark("thread");

        // Started by the front in new namespaces (NamespaceSpawner: its mount tree already private): this PID namespace's /proc.
        Sys.Mount("proc", "/proc", "proc", K.MS_NOSUID | K.MS_NODEV | K.MS_NOEXEC, null, "proc", "mounting a fresh /proc");
        Timing.Mark("proc");
        if (!spec.CgroupNamespace) JoinCgroups(spec);
        Timing.Mark("cgroup");

        if (spec.LoopbackUp) LoopbackUp();
        Timing.Mark("lo");

        // With a rootfs, the new root usually has no glibc for this (dynamically linked) binary, so the payload and the
        // on_exit hook are started BEFORE pivot_root and wait on a "go" pipe; pivot_root moves their root along. With a
        // user namespace they start early too: their id maps are written through /proc, which readonly mode makes
        // read-only, and a map must be written before the stage goes on.
        // Without a user namespace, nothing needs the early stages before pivot_root: their runtime start overlaps the
        // mounts, and PID 1 waits for "loaded" only right before pivot_root.
        bool waitLater = !spec.UserNamespace;
        if (spec.UserNamespace) UserNamespace.Prepare();
        (int Pid, int Go) mainEarly = early ? SpawnWaiting(spec, "payload", null, waitLoaded: !waitLater) : (-1, -1);
        (int Pid, int Go) hookEarly = early && spec.OnExit is not null ? SpawnWaiting(spec, "hook", "on_exit", waitLoaded: !waitLater) : (-1, -1);

        Mounts.Build(spec, beforePivot: early && waitLater
            ? () =>
            {
                AwaitLoaded(spec, "payload", mainEarly);
                if (hookEarly.Pid > 0) AwaitLoaded(spec, "hook", hookEarly);
            }
            : null);

        Timing.Mark("mounts");
        if (spec.Hostname.Length > 0)
        {
            var name = Encoding.ASCII.GetBytes(spec.Hostname);
            fixed (byte* p = name) Sys.Check(Libc.sethostname(p, name.Length), "hostname", $"setting the hostname to {spec.Hostname}");
        }

        if (direct is not null)
        {
            // "ready" first, as when a payload stage was spawned: the front's own post-ready work overlaps the start.
            Sys.TryWriteLine(status, StatusProtocol.Ready);
            Timing.Mark("ready");
            int failedCode = -1;
            var started = DirectStart.Finish(direct);
            Timing.Mark("joined");
            if (started.Failure is { } e)
            {
                // As a failing payload stage did: the error, and the command counts as exited with 125/127.
                Program.Report(status, e.Step, e.Errno, e.Message);
                failedCode = e.Step == "exec" ? StatusProtocol.ExecFailedExitCode : StatusProtocol.SetupFailedExitCode;
            }
            return Reap(spec, started.Pid, hookEarly, failedCode);
        }

        int main = early ? Release(mainEarly) : SpawnStage(spec, "payload", null);
        Sys.TryWriteLine(status, StatusProtocol.Ready);
        return Reap(spec, main, hookEarly);
    }

    /// <summary>Starts the on_exit hook: released if it was started early, else directly from a thread or as a stage.</summary>
    private static int StartHook(LaunchSpec spec, (int Pid, int Go) hookEarly)
    {
        if (hookEarly.Pid > 0) return Release(hookEarly);
        if (!DirectStart.AppliesToHook(spec)) return SpawnStage(spec, "hook", "on_exit");
        var started = DirectStart.Finish(DirectStart.Begin(spec, hook: "on_exit"));
        if (started.Failure is not null) throw started.Failure;
        return started.Pid;
    }

    /// <summary>
    /// Starts a stage that says it is loaded (one byte on fd 5, a socketpair), then blocks until <see cref="Release"/>
    /// writes its go byte. Waiting for "loaded" matters: the dynamic loader maps libraries after posix_spawn returns,
    /// and must be done before pivot_root takes the host's /lib away.
    /// </summary>
    private static (int Pid, int Go) SpawnWaiting(LaunchSpec spec, string mode, string? hook, bool waitLoaded)
    {
        int* fds = stackalloc int[2];
        Sys.Check(Libc.socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */ | K.O_CLOEXEC, 0, fds), "spawn", "creating a start channel");
        int pid;
        try
        {
            pid = SpawnStage(spec, mode, hook, fds[1]);
        }
        finally
        {
            Libc.close(fds[1]);
        }
        var waiting = (pid, fds[0]);
        if (waitLoaded) AwaitLoaded(spec, mode, waiting);
        return waiting;
    }

    /// <summary>Blocks until a stage started by <see cref="SpawnWaiting"/> says it is loaded; with a user namespace, maps it.</summary>
    private static void AwaitLoaded(LaunchSpec spec, string mode, (int Pid, int Go) waiting)
    {
        int pid = waiting.Pid;
        byte loaded;
        nint n;
        do { n = Libc.read(waiting.Go, &loaded, 1); } while (n < 0 && Libc.Errno == K.EINTR);
        if (n != 1)
        {
            Sys.Fail(spec.UserNamespace ? "userns" : "spawn", K.ENOENT, spec.UserNamespace
                ? $"the {mode} stage exited before it was loaded: util-linux unshare could not create its user namespace (its message is above)"
                : $"the {mode} stage exited before it was loaded");
        }
        if (spec.UserNamespace)
        {
            // It is in its new user namespace now (unshare ran before the exec that loaded it): map the developer, and
            // keep the shell's namespace open for attach before the shell can exit.
            UserNamespace.WriteMaps(pid, spec);
            if (mode == "payload") UserNamespace.Hold(pid);
        }
    }

    private static int Release((int Pid, int Go) waiting)
    {
        byte go = 1;
        Libc.write(waiting.Go, &go, 1);
        Libc.close(waiting.Go);
        return waiting.Pid;
    }

    /// <summary>Runs this same binary in payload or hook mode, with stdio, the status pipe and the spec passed on.</summary>
    private static int SpawnStage(LaunchSpec spec, string mode, string? hook, int goFd = -1)
    {
        Sys.MakeSpecSeekable(StatusProtocol.SpecFd);
        var fds = new List<(int, int)> { (0, 0), (1, 1), (2, 2), (StatusProtocol.StatusFd, StatusProtocol.StatusFd), (StatusProtocol.SpecFd, StatusProtocol.SpecFd) };
        if (goFd >= 0) fds.Add((StatusProtocol.GoFd, goFd));
        if (spec.UserNamespace) return UserNamespace.Spawn(mode, hook, fds);
        var argv = hook is null ? new[] { "devshell-stage2", mode } : new[] { "devshell-stage2", mode, hook };
        return Sys.Spawn("/proc/self/exe", argv, [], [.. fds]);
    }

    /// <summary>
    /// Reaps until nothing is left. <paramref name="mainFailedCode"/> (not -1) means the command never ran: it counts
    /// as exited with that code (its error is already on the status pipe).
    /// </summary>
    private static int Reap(LaunchSpec spec, int main, (int Pid, int Go) hookEarly, int mainFailedCode = -1)
    {
        const int status = StatusProtocol.StatusFd;
        int hookPid = -1;
        int code = 0;
        bool mainDone = false;

        void MainEnded(int exitCode, int sig)
        {
            mainDone = true;
            code = exitCode;
            if (spec.OnExit is not null)
            {
                try { hookPid = StartHook(spec, hookEarly); }
                catch (StageException e) { Program.Report(status, "hook", e.Errno, e.Message); }
            }
            if (hookPid < 0) Finish(spec, code, sig);
        }

        if (mainFailedCode >= 0) MainEnded(mainFailedCode, 0);
        else IdlePages.DropWhenIdle(main);
        while (true)
        {
            int st;
            int pid = Libc.waitpid(-1, &st, 0);
            if (pid < 0)
            {
                if (Libc.Errno == K.EINTR) continue;
                break; // ECHILD: nothing left in the env
            }
            if (pid == main)
            {
                Timing.Mark("reaped");
                (int exitCode, int sig) = Sys.DecodeWait(st);
                MainEnded(exitCode, sig);
            }
            else if (pid == hookPid)
            {
                var (hookCode, _) = Sys.DecodeWait(st);
                if (hookCode != 0) Sys.TryWriteLine(status, StatusProtocol.Hook + " on_exit " + Sys.Invariant(hookCode));
                hookPid = -1;
                Finish(spec, code, code > 128 ? code - 128 : 0);
            }
            if (mainDone && hookPid < 0 && !spec.KeepAlive)
            {
                // devshell run: the command is over; nothing it left behind outlives it.
                Libc.kill(-1, K.SIGKILL);
            }
        }
        return code;
    }

    private static void Finish(LaunchSpec spec, int code, int sig)
    {
        const int status = StatusProtocol.StatusFd;
        Timing.Mark("report");
        Sys.TryWriteLine(status, sig != 0 ? StatusProtocol.Signal + " " + Sys.Invariant(sig) : StatusProtocol.Exit + " " + Sys.Invariant(code));
        if (spec.KeepAlive)
        {
            int others = CountOtherProcesses();
            if (others > 0) Sys.TryWriteLine(status, "linger " + Sys.Invariant(others));
        }
    }

    private static int CountOtherProcesses()
    {
        int n = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && !name.SequenceEqual("1")) n++;
        }
        return n;
    }

    /// <summary>Moves PID 1, every thread of it, into the env's cgroups (one cgroup.procs per v1 hierarchy, one on v2).</summary>
    private static void JoinCgroups(LaunchSpec spec)
    {
        foreach (var dir in spec.CgroupDirs) Sys.WriteFile(dir + "/cgroup.procs", "0", "cgroup");
    }

    /// <summary>A fresh network namespace starts with lo down: bring it up with SIOCSIFFLAGS.</summary>
    private static void LoopbackUp()
    {
        int sock = Libc.socket(K.AF_INET, K.SOCK_DGRAM | 0x80000, 0);
        Sys.Check(sock, "netns", "opening a socket to bring up lo");
        try
        {
            // struct ifreq { char ifr_name[16]; union { short ifr_flags; ... } } (40 bytes)
            byte* ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            ifr[0] = (byte)'l';
            ifr[1] = (byte)'o';
            Sys.Check(Libc.ioctl(sock, K.SIOCGIFFLAGS, (nint)ifr), "netns", "reading the flags of lo");
            *(short*)(ifr + 16) |= K.IFF_UP;
            Sys.Check(Libc.ioctl(sock, K.SIOCSIFFLAGS, (nint)ifr), "netns", "bringing lo up");
        }
        finally
        {
            Libc.close(sock);
        }
    }
}
