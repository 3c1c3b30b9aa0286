using System.Globalization;
using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using DevShell.Linux.Launch;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// Envs whose profile asks for a user namespace, launched for real as a test developer under "sudo": what the
/// developer sees from inside (only their own ids mapped, host root as nobody) and that every other isolation
/// property still holds, in host, readonly and rootfs modes.
/// </summary>
[Collection("env")]
public sealed class UserNamespaceTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();
    private TestUser? _user;
    private string? _group;

    public void Dispose()
    {
        _user?.Dispose();
        if (_group is not null)
        {
            try
            {
                TestUser.Run("groupdel", _group);
            }
            catch (InvalidOperationException)
            {
            }
        }
        _env.Dispose();
    }

    internal static bool UserNamespacesAvailable(ITestOutputHelper output)
    {
        const string max = "/proc/sys/user/max_user_namespaces";
        bool available = File.Exists(max) && File.ReadAllText(max).Trim() != "0";
        return Requires.Root(output) && Requires.Command("useradd", output) && Requires.Command("unshare", output, "apt-get install util-linux")
            && Requires.Feature(available, $"user namespaces are disabled here ({max} is 0 or missing)", output);
    }

    internal static Profile UserProfile(string name = "uns")
    {
        var profile = EnvHarness.Profile(name);
        profile.Namespaces = ["uts", "ipc", "mount", "pid", "net", "user"];
        return profile;
    }

    private Developer Dev()
    {
        _user ??= new TestUser();
        return Developer.Resolve(_user.SudoEnv, 0, 0);
    }

    private static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Fields(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>After an env ended: its PID 1 is gone, its cgroup is removed, its spec file deleted.</summary>
    private void AssertNothingLeft(LaunchOutcome outcome)
    {
        string running = Assert.Single(_env.Journal.Lines, l => l.StartsWith($"running {outcome.SessionId} ", StringComparison.Ordinal));
        string initPid = running.Split(' ')[2];
        Assert.False(Directory.Exists($"/proc/{initPid}"), $"PID 1 of {outcome.SessionId} ({initPid}) is still alive");
        Assert.Null(_env.Cgroups.Driver.Open(outcome.SessionId));
        Assert.False(File.Exists(_env.Launcher.Paths.SpecFile(outcome.SessionId)));
    }

    [Fact]
    public void Only_the_developer_is_mapped_and_host_root_files_show_as_nobody()
    {
        if (!UserNamespacesAvailable(output)) return;
        var dev = Dev();
        string rootFile = Path.Combine(_env.Dir, "root-owned");
        File.WriteAllText(rootFile, "root's\n");
        File.SetUnixFileMode(rootFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal(0, int.Parse(TestUser.Run("stat", "-c", "%u", rootFile).Trim(), CultureInfo.InvariantCulture));

        var (code, stdout, stderr, outcome) = _env.Run(UserProfile(),
            $"cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; id -g; stat -c '%u %g %U' {rootFile} /etc/hostname; cat {rootFile}; echo hi > {rootFile} 2>/dev/null || echo write-refused", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var parts = stdout.Split("--\n");
        var uidMap = Assert.Single(Lines(parts[0]));
        Assert.Equal([Id(_user!.Uid), Id(_user.Uid), "1"], Fields(uidMap));
        var gidMap = Assert.Single(Lines(parts[1]));
        Assert.Equal([Id(_user.Gid), Id(_user.Gid), "1"], Fields(gidMap));
        var rest = Lines(parts[2]);
        Assert.Equal(Id(_user.Uid), rest[0]);
        Assert.Equal(Id(_user.Gid), rest[1]);
        Assert.Equal("65534 65534 nobody", rest[2]);
        Assert.StartsWith("65534 65534 ", rest[3], StringComparison.Ordinal); // /etc/hostname is the host's, root-owned
        Assert.Equal("root's", rest[4]);
        Assert.Equal("write-refused", rest[5]);
        Assert.Equal("root's\n", File.ReadAllText(rootFile));
        AssertNothingLeft(outcome);
    }

    [Fact]
    public void Hostname_pid_1_capabilities_filter_masks_tmp_and_sysfs_hold_inside_a_user_namespace()
    {
        if (!UserNamespacesAvailable(output)) return;
        var dev = Dev();
        string secretDir = Path.Combine(_env.Dir, "secrets");
        Directory.CreateDirectory(secretDir);
        File.WriteAllText(Path.Combine(secretDir, "key"), "hunter2");
        var profile = UserProfile();
        profile.Namespaces = [.. profile.Namespaces, "cgroup"];
        profile.Hostname = "uns-host";
        profile.Masks = [secretDir];
        var (code, stdout, stderr, outcome) = _env.Run(profile,
            "hostname; ps -e -o pid=,comm= | head -1; grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; "
            + $"cat {secretDir}/key 2>/dev/null; echo cat=$?; ls -A /tmp | wc -l; ls /sys/class/net; "
            + "mount -t tmpfs none /mnt 2>/dev/null; echo mount=$?; unshare --user true 2>/dev/null; echo unshare=$?; cut -d: -f3 /proc/self/cgroup | sort -u", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal("uns-host", lines[0]);
        Assert.Equal("1 devshell-stage2", lines[1].Trim());
        foreach (var set in new[] { "CapEff", "CapPrm", "CapBnd", "CapAmb" }) Assert.Contains($"{set}:\t0000000000000000", lines);
        Assert.Contains("NoNewPrivs:\t1", lines);
        Assert.Contains("Seccomp:\t2", lines);
        Assert.DoesNotContain("hunter2", stdout, StringComparison.Ordinal);
        Assert.Contains("cat=1", lines);
        int tmp = Array.IndexOf(lines, "cat=1") + 1;
        Assert.Equal("0", lines[tmp].Trim()); // the env's /tmp starts empty
        Assert.Equal("lo", lines[tmp + 1]); // a fresh sysfs: the env's own interfaces only
        Assert.Contains(lines, l => l.StartsWith("mount=", StringComparison.Ordinal) && l != "mount=0");
        Assert.Contains("unshare=1", lines);
        Assert.Equal("/", lines[^1]); // cgroup namespace: every hierarchy is rooted at the env's cgroup
        AssertNothingLeft(outcome);
    }

    [Fact]
    public void Supplementary_groups_are_mapped_one_to_one_and_kept()
    {
        if (!UserNamespacesAvailable(output) || !Requires.Command("groupadd", output)) return;
        _user = new TestUser();
        _group = "dsg" + Guid.NewGuid().ToString("N")[..8];
        TestUser.Run("groupadd", _group);
        TestUser.Run("usermod", "-aG", _group, _user.Name);
        int gid = int.Parse(TestUser.Run("getent", "group", _group).Split(':')[2], CultureInfo.InvariantCulture);
        var dev = Dev();
        Assert.Contains(gid, dev.Groups);

        var (code, stdout, stderr, outcome) = _env.Run(UserProfile(), "id -G; cat /proc/self/gid_map", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal(new[] { Id(_user.Gid), Id(gid) }.Order(), Fields(lines[0]).Order());
        Assert.Equal(
            new[] { $"{_user.Gid} {_user.Gid} 1", $"{gid} {gid} 1" },
            lines[1..].Select(l => string.Join(' ', Fields(l))));
        AssertNothingLeft(outcome);
    }

    [Fact]
    public void Readonly_mode_works_in_a_user_namespace()
    {
        if (!UserNamespacesAvailable(output)) return;
        var dev = Dev();
        var profile = UserProfile("uns-ro");
        profile.Filesystem = new FilesystemSpec { Mode = "readonly" };
        var (code, stdout, stderr, outcome) = _env.Run(profile,
            "touch ~/h && echo home-ok; touch /tmp/t && echo tmp-ok; touch /var/tmp/nope 2>/dev/null || echo var-ro; cat /proc/self/uid_map", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal(["home-ok", "tmp-ok", "var-ro"], lines[..3]);
        Assert.Equal([Id(_user!.Uid), Id(_user.Uid), "1"], Fields(lines[3]));
        AssertNothingLeft(outcome);
    }

    [Fact]
    public void Rootfs_mode_and_both_hooks_run_as_the_developer_in_a_user_namespace()
    {
        if (!UserNamespacesAvailable(output) || !Requires.Feature(File.Exists("/bin/busybox"), "busybox-static is not installed (apt-get install busybox-static)", output)) return;
        var dev = Dev();
        string rootfs = Path.Combine(_env.Dir, "rootfs");
        foreach (var d in new[] { "bin", "proc", "dev", "sys", "tmp", "etc" }) Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "cat", "ls", "id", "stat" }) File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        File.WriteAllText(Path.Combine(rootfs, "etc", "issue"), "tiny-distro\n");
        var profile = UserProfile("uns-rootfs");
        profile.Filesystem = new FilesystemSpec { Mode = "rootfs", Rootfs = rootfs };
        profile.Workdir = "/";
        profile.Hooks = new HooksSpec { OnEnter = "echo enter $(id -u)", OnExit = "echo exit $(id -u) $(cat /proc/self/uid_map)" };
        var (code, stdout, stderr, outcome) = _env.Run(profile, "cat /etc/issue; id -u; stat -c %u /etc/issue; cat /proc/self/uid_map", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        string uid = Id(_user!.Uid);
        Assert.Equal($"enter {uid}", lines[0]);
        Assert.Equal("tiny-distro", lines[1]);
        Assert.Equal(uid, lines[2]);
        Assert.Equal("65534", lines[3]); // the rootfs is root-owned on the host
        Assert.Equal([uid, uid, "1"], Fields(lines[4]));
        Assert.Equal(["exit", uid, uid, uid, "1"], Fields(lines[5]));
        AssertNothingLeft(outcome);
    }
}
