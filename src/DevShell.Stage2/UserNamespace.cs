using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// The env's user namespace (profiles with "user" in namespaces). It is the innermost layer: PID 1 builds the env as
/// host root, as without one, and only the payload (shell, hooks) starts in a new user namespace, so that namespace
/// owns none of the env's mount, network, UTS, IPC, PID or cgroup namespaces: a capability regained inside it grants
/// nothing over them, and the fresh sysfs and prepared netns work unchanged.
/// <list type="bullet">
/// <item>Stage two is multithreaded (NativeAOT starts a finalizer thread), so it cannot unshare(CLONE_NEWUSER)
/// itself: util-linux <c>unshare --user --keep-caps</c> creates the namespace and execs the payload. --keep-caps
/// raises the namespace's capabilities as ambient, because root is unmapped there and exec would otherwise drop them;
/// the payload needs them for setgroups/setresuid and to empty its bounding set, then drops them all.</item>
/// <item>Only a process in the parent namespace with CAP_SETUID may write a map with ids other than its own, so PID 1
/// writes uid_map and gid_map once the payload says it is loaded (the start channel on fd 5), then lets it go.</item>
/// <item>PID 1 keeps the namespace open on <see cref="LaunchSpec.UserNamespaceFd"/> so attach can join it.</item>
/// </list>
/// </summary>
internal static unsafe class UserNamespace
{
    private static int _self = -1;
    private static string? _unshare;

    /// <summary>Resolves util-linux unshare and opens this binary, while the host's filesystem is still visible (before pivot_root).</summary>
    public static void Prepare()
    {
        _unshare ??= FindUnshare();
        if (_self >= 0) return;
        int fd = Sys.Open("/proc/self/exe", K.O_RDONLY | K.O_CLOEXEC, "userns");
        // Above the fds a spawn maps (0-6): a low number could be overwritten by an earlier dup2 of the same spawn.
        _self = Libc.fcntl(fd, K.F_DUPFD_CLOEXEC, 10);
        Sys.Check(_self, "userns", "moving the stage-two fd");
        Libc.close(fd);
    }

    /// <summary>Starts this binary in <paramref name="mode"/> through unshare --user, with the given fds plus this binary on fd 6.</summary>
    public static int Spawn(string mode, string? hook, List<(int, int)> fds)
    {
        Prepare();
        string self = "/proc/self/fd/" + Sys.Invariant(StatusProtocol.Stage2Fd);
        var argv = new List<string> { "unshare", "--user", "--keep-caps", "--", self, mode };
        if (hook is not null) argv.Add(hook);
        fds.Add((StatusProtocol.Stage2Fd, _self));
        return Sys.Spawn(_unshare!, argv, [], [.. fds]);
    }

    /// <summary>Writes the developer-only maps of the user namespace <paramref name="pid"/> is in (PID 1 is outside it, as root).</summary>
    public static void WriteMaps(int pid, LaunchSpec spec)
    {
        string proc = "/proc/" + Sys.Invariant(pid);
        Sys.WriteFile(proc + "/uid_map", spec.UidMap(), "userns");
        Sys.WriteFile(proc + "/gid_map", spec.GidMap(), "userns");
    }

    /// <summary>Keeps the user namespace of <paramref name="pid"/> open on the well-known fd for attach.</summary>
    public static void Hold(int pid)
    {
        const int target = LaunchSpec.UserNamespaceFd;
        if (Libc.fcntl(target, K.F_GETFD, 0) >= 0)
        {
            Sys.Fail("userns", K.EBUSY, $"keeping the user namespace open: fd {target} is already in use");
        }
        int fd = Sys.Open("/proc/" + Sys.Invariant(pid) + "/ns/user", K.O_RDONLY | K.O_CLOEXEC, "userns");
        try
        {
            if (Libc.dup3(fd, target, K.O_CLOEXEC) < 0) Sys.Fail("userns", Libc.Errno, "keeping the user namespace open on fd " + Sys.Invariant(target));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    private static string FindUnshare()
    {
        string path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in (path + ":/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "unshare");
            if (File.Exists(candidate)) return candidate;
        }
        throw new StageException("userns", K.ENOENT, "util-linux unshare is not on PATH; it creates the user namespace (apt-get install util-linux)");
    }
}
