using DevShell.Linux.Identity;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// One script, run inside a default env as the developer, tries what a hostile process would; every attempt must
/// fail. The script prints "OK name" for each refusal and "ESCAPE name" otherwise.
/// </summary>
[Collection("env")]
public sealed class HostileProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();
    private TestUser? _user;

    public void Dispose()
    {
        _user?.Dispose();
        _env.Dispose();
    }

    private const string Script = """
        check() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "ESCAPE $name"; else echo "OK $name"; fi; }
        check see-host-processes sh -c "[ \$(ls -d /proc/[0-9]* | wc -l) -gt 20 ]"
        check see-host-interfaces sh -c "ls /sys/class/net | grep -qv '^lo$'"
        check read-shadow sh -c "[ -s /etc/shadow ]"
        check read-masked-ssh sh -c "ls -A ~/.ssh | grep -q ."
        check mount mount -t tmpfs none /mnt
        check unshare-user unshare --user --map-root-user true
        check ptrace-outside python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.ptrace(16, HOSTPID, 0, 0) == 0 else 1)"
        check load-bpf python3 -c "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); sys.exit(0 if l.syscall(321,5,0,0) >= 0 else 1)"
        check tiocsti python3 -c "import fcntl,termios; fcntl.ioctl(0, termios.TIOCSTI, b'x')"
        check write-cgroup-limits sh -c "for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory.max; do echo max > \$f && exit 0; done; exit 1"
        check setuid-root su -c true root
        check raw-socket python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)"
        """;

    [Fact]
    public void Every_escape_a_hostile_process_tries_from_a_default_env_fails()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output) || !Requires.Command("python3", output)) return;
        _user = new TestUser();
        Directory.CreateDirectory(Path.Combine(_user.Home, ".ssh"));
        File.WriteAllText(Path.Combine(_user.Home, ".ssh", "id_ed25519"), "secret");
        var dev = Developer.Resolve(_user.SudoEnv, 0, 0);
        var profile = EnvHarness.Profile("hostile");
        profile.Masks = ["~/.ssh", "/etc/shadow"];
        // A host process the env must not be able to trace: the test's own PID.
        string script = Script.Replace("HOSTPID", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var (code, stdout, stderr, _) = _env.Run(profile, script, dev);
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("OK ", l, StringComparison.Ordinal));
    }
}
