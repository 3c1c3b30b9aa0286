using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>The shell runs as the developer who ran sudo, with their home; the filesystem modes and hooks apply.</summary>
[Collection("env")]
public sealed class DeveloperTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();
    private TestUser? _user;

    public void Dispose()
    {
        _user?.Dispose();
        _env.Dispose();
    }

    private Developer Dev()
    {
        _user ??= new TestUser();
        return Developer.Resolve(_user.SudoEnv, 0, 0);
    }

    [Fact]
    public void Uid_and_gid_inside_are_the_invoking_developers_under_sudo()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(), "id -u; id -g; echo $HOME; echo $USER; pwd", dev);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(_user!.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(_user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1]);
        Assert.Equal(_user.Home, lines[2]);
        Assert.Equal(_user.Name, lines[3]);
        Assert.Equal(_user.Home, lines[4]);
    }

    [Fact]
    public void A_setuid_binary_grants_nothing()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        // su is setuid root on Debian; with no_new_privs it cannot become root.
        var (_, stdout, _, _) = _env.Run(EnvHarness.Profile(), "ls -l /bin/su >&2; su -c 'id -u' root </dev/null; echo rc=$?; id -u", dev);
        Assert.Contains("rc=1", stdout, StringComparison.Ordinal);
        Assert.EndsWith(_user!.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void TIOCSTI_is_refused_by_the_filter()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(),
            "python3 -c 'import fcntl,termios,errno\ntry:\n  fcntl.ioctl(1, termios.TIOCSTI, b\"x\")\n  print(\"injected\")\nexcept OSError as e:\n  print(errno.errorcode[e.errno])'");
        Assert.True(code == 0, stderr);
        Assert.Equal("EPERM", stdout.Trim());
    }

    [Fact]
    public void Unsharing_a_user_namespace_and_loading_bpf_fail()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        var dev = Dev();
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(),
            "unshare --user true; echo unshare=$?; python3 -c 'import ctypes,os\nlibc=ctypes.CDLL(None,use_errno=True)\nprint(\"bpf\", libc.syscall(321,0,0,0), os.strerror(ctypes.get_errno()))'", dev);
        Assert.True(code == 0, stderr);
        Assert.Contains("unshare=1", stdout, StringComparison.Ordinal);
        Assert.Contains("bpf -1 Operation not permitted", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Readonly_mode_keeps_only_home_tmp_and_workdir_writable()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        string work = Path.Combine(_env.Dir, "work");
        Directory.CreateDirectory(work);
        TestUser.Run("chown", $"{_user!.Uid}:{_user.Gid}", work);
        var profile = EnvHarness.Profile();
        profile.Filesystem = new FilesystemSpec { Mode = "readonly" };
        profile.Workdir = work;
        var (code, stdout, stderr, _) = _env.Run(profile,
            $"touch {work}/w && echo work-ok; touch ~/h && echo home-ok; touch /tmp/t && echo tmp-ok; echo x > /dev/null && echo devnull-ok; touch /var/tmp/nope 2>/dev/null || echo var-ro", dev);
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, code);
        Assert.Equal(["work-ok", "home-ok", "tmp-ok", "devnull-ok", "var-ro"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_private_home_persists_per_profile_and_hides_the_real_home()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        File.WriteAllText(Path.Combine(_user!.Home, "real-home-file"), "x");
        var profile = EnvHarness.Profile("private-home");
        profile.Filesystem = new FilesystemSpec { Home = "private" };
        var first = _env.Run(profile, "ls -A ~; echo cache > ~/.cache-file", dev);
        Assert.True(first.Code == 0, first.Err);
        Assert.DoesNotContain("real-home-file", first.Out, StringComparison.Ordinal);
        var second = _env.Run(profile, "cat ~/.cache-file", dev);
        Assert.Equal("cache", second.Out.Trim());
        Assert.False(File.Exists(Path.Combine(_user.Home, ".cache-file")));
    }

    [Fact]
    public void The_command_runs_as_the_developer_in_its_own_session_while_pid_1_keeps_root_and_its_capabilities()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        // PID 1 drops privileges for the command on a thread of its own (the rest of PID 1 must stay root to reap,
        // kill and report), and the command gets a session of its own.
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(),
            "id -u; grep -E '^(Uid|CapEff):' /proc/1/status; grep '^CapEff:' /proc/self/status; ps -o sid= -p $$; echo $$", dev);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.Equal(_user!.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Matches(@"^Uid:\s+0\s+0\s+0\s+0$", lines[1]);
        Assert.Matches(@"^CapEff:\s+[0-9a-f]+$", lines[2]);
        Assert.NotEqual("CapEff:\t0000000000000000", lines[2]);
        Assert.Equal("CapEff:\t0000000000000000", lines[3]);
        Assert.Equal(lines[5], lines[4]); // the shell's session id is its own pid
    }

    [Fact]
    public void A_command_that_does_not_exist_exits_127_and_names_itself()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var (code, _, stderr, outcome) = _env.RunArgv(EnvHarness.Profile(), ["no-such-command-dstest"], Dev());
        Assert.Equal(127, code);
        Assert.Contains("no-such-command-dstest: command not found", stderr, StringComparison.Ordinal);
        Assert.Contains(outcome.Errors, e => e.Contains("no-such-command-dstest: command not found", StringComparison.Ordinal));
    }

    [Fact]
    public void Hooks_run_inside_as_the_developer_and_a_failing_hook_is_reported()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        var profile = EnvHarness.Profile();
        profile.Hooks = new HooksSpec { OnEnter = "echo enter-$(id -u)-$(hostname)", OnExit = "echo exit-hook; exit 3" };
        var (code, stdout, _, outcome) = _env.Run(profile, "echo main", dev);
        Assert.Equal(0, code);
        Assert.Equal([$"enter-{_user!.Uid}-itest", "main", "exit-hook"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the on_exit hook failed with exit code 3", outcome.Errors);
    }

    [Fact]
    public void Rootfs_mode_pivots_into_another_userland()
    {
        if (!Requires.Root(output) || !Requires.Feature(File.Exists("/bin/busybox"), "busybox-static is not installed (apt-get install busybox-static)", output)) return;
        string rootfs = Path.Combine(_env.Dir, "rootfs");
        foreach (var d in new[] { "bin", "proc", "dev", "sys", "tmp", "etc" }) Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "cat", "ls", "ps", "id" }) File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc", "issue"), "tiny-distro\n");
        var profile = EnvHarness.Profile("rootfs");
        profile.Filesystem = new FilesystemSpec { Mode = "rootfs", Rootfs = rootfs };
        profile.Hooks = new HooksSpec { OnExit = "echo bye-from-rootfs" };
        var (code, stdout, stderr, _) = _env.Run(profile, "cat /etc/issue; ls /; ls /usr 2>&1 | head -1; id -u");
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("tiny-distro", lines[0]);
        Assert.Contains("etc", lines);
        Assert.DoesNotContain("home", lines); // the host's tree is gone
        Assert.Contains("No such file or directory", stdout, StringComparison.Ordinal);
        Assert.Equal("bye-from-rootfs", lines[^1]);
    }

    [Fact]
    public void A_cgroup_namespace_shows_the_env_its_own_cgroup_as_the_root()
    {
        if (!Requires.Root(output)) return;
        var profile = EnvHarness.Profile("cgns");
        profile.Namespaces = ["uts", "ipc", "mount", "pid", "net", "cgroup"];
        var (code, stdout, stderr, _) = _env.Run(profile, "cat /proc/self/cgroup");
        Assert.True(code == 0, stderr);
        output.WriteLine(stdout);
        // Every hierarchy's path is "/" (or the v2 "0::/"): the host's layout is hidden.
        Assert.All(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.EndsWith(":/", l, StringComparison.Ordinal));
    }
}
