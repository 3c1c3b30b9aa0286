using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>What a user checks from inside an env, run for real: namespaces, identity, capabilities, filter, mounts.</summary>
[Collection("env")]
public sealed class IsolationTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void Hostname_inside_is_the_profile_hostname()
    {
        if (!Requires.Root(output)) return;
        var profile = EnvHarness.Profile();
        profile.Hostname = "orders-api";
        var (code, stdout, stderr, _) = _env.Run(profile, "hostname");
        Assert.True(code == 0, stderr);
        Assert.Equal("orders-api", stdout.Trim());
    }

    [Fact]
    public void Ps_shows_only_the_env_processes_with_stage_two_as_pid_1()
    {
        if (!Requires.Root(output)) return;
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(), "ps -e -o pid=,comm=");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        Assert.StartsWith("1 devshell-stage2", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.Matches(@"^\d+ (devshell-stage2|sh|ps)$", l));
        Assert.InRange(lines.Count, 3, 4);
    }

    [Fact]
    public void The_shell_has_no_capabilities_no_new_privs_and_the_seccomp_filter()
    {
        if (!Requires.Root(output)) return;
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(), "grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");
        Assert.True(code == 0, stderr);
        Assert.Contains("CapEff:\t0000000000000000", stdout, StringComparison.Ordinal);
        Assert.Contains("CapPrm:\t0000000000000000", stdout, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000000", stdout, StringComparison.Ordinal);
        Assert.Contains("CapAmb:\t0000000000000000", stdout, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_code_propagates_and_a_signal_becomes_128_plus_n()
    {
        if (!Requires.Root(output)) return;
        Assert.Equal(42, _env.Run(EnvHarness.Profile(), "exit 42").Code);
        Assert.Equal(128 + 15, _env.Run(EnvHarness.Profile(), "kill -TERM $$").Code);
    }

    [Fact]
    public void Network_none_shows_only_loopback_and_it_is_up()
    {
        if (!Requires.Root(output)) return;
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(), "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("lo", lines[0]);
        Assert.Equal("0x9", lines[^1]); // IFF_UP | IFF_LOOPBACK
    }

    [Fact]
    public void Mount_fails_inside()
    {
        if (!Requires.Root(output)) return;
        var (code, _, stderr, _) = _env.Run(EnvHarness.Profile(), "mount -t tmpfs none /mnt");
        Assert.NotEqual(0, code);
        Assert.Contains("mount", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Masked_paths_are_unreadable_and_tmp_is_private()
    {
        if (!Requires.Root(output)) return;
        string secretDir = Path.Combine(_env.Dir, "secrets");
        Directory.CreateDirectory(secretDir);
        File.WriteAllText(Path.Combine(secretDir, "key"), "hunter2");
        string hostTmpMarker = Path.Combine("/tmp", "dstest-marker-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(hostTmpMarker, "host");
        try
        {
            var profile = EnvHarness.Profile();
            profile.Masks = [secretDir, "/etc/shadow"];
            var (code, stdout, stderr, _) = _env.Run(profile,
                $"cat {secretDir}/key; echo rc=$?; wc -c < /etc/shadow; ls /tmp | wc -l; touch /tmp/inside && echo wrote");
            output.WriteLine(stdout + stderr);
            Assert.Equal(0, code);
            Assert.DoesNotContain("hunter2", stdout, StringComparison.Ordinal);
            Assert.Contains("rc=1", stdout, StringComparison.Ordinal);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("0", lines[^3].Trim()); // /etc/shadow is /dev/null
            Assert.Equal("0", lines[^2].Trim()); // the env's /tmp starts empty
            Assert.Equal("wrote", lines[^1]);
            Assert.False(File.Exists("/tmp/inside"));
        }
        finally
        {
            File.Delete(hostTmpMarker);
        }
    }

    [Fact]
    public void Nothing_of_the_env_is_left_after_it_exits()
    {
        if (!Requires.Root(output)) return;
        var (code, _, _, outcome) = _env.Run(EnvHarness.Profile(), "sleep 0.1 & exit 0");
        Assert.Equal(0, code);
        Assert.Null(_env.Cgroups.Driver.Open(outcome.SessionId));
        Assert.False(File.Exists(_env.Launcher.Paths.SpecFile(outcome.SessionId)));
    }
}
