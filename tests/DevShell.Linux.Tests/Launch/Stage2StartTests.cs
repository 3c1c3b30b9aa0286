using System.Globalization;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// How stage two starts, seen from inside the env: PID 1 begins its start thread before it joins the env's cgroups
/// (the join moves every thread of it, so the command, cloned from that thread, is still in them), and its GC
/// reserves a small heap range instead of twice the machine's memory.
/// </summary>
[Collection("env")]
public sealed class Stage2StartTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void The_command_and_pid_1_are_in_the_envs_cgroups()
    {
        if (!Requires.Root(output)) return;
        var (code, stdout, stderr, outcome) = _env.Run(EnvHarness.Profile("s2-cgroups"), "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup");
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        var parts = stdout.Split("--\n");
        Assert.Equal(2, parts.Length);
        var command = InEnv(parts[0], outcome.SessionId);
        var pid1 = InEnv(parts[1], outcome.SessionId);

        // v2: the unified line "0::/.../ID"; v1: one line per hierarchy the env uses, memory and pids among them.
        bool inEnv = command.Contains("") || (command.Contains("memory") && command.Contains("pids"));
        Assert.True(inEnv, $"the command is not in the env's cgroups (session {outcome.SessionId}):\n{parts[0]}");
        Assert.Equal(command, pid1);
    }

    [Fact]
    public void Pid_1_reserves_less_than_a_gigabyte_of_address_space()
    {
        if (!Requires.Root(output)) return;
        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile("s2-vmsize"), "grep '^VmSize:' /proc/1/status");
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        // "VmSize:\t  413632 kB". The runtime's default reservation is twice the machine's memory, tens of GB.
        var fields = stdout.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("VmSize:", fields[0]);
        long kb = long.Parse(fields[1], CultureInfo.InvariantCulture);
        Assert.InRange(kb, 1, 1024 * 1024);
    }

    /// <summary>The controllers (v1) or "" (the v2 unified line) whose cgroup path ends in the session's own cgroup.</summary>
    private static HashSet<string> InEnv(string procCgroup, string sessionId)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // hierarchy-ID:controller-list:path
            var f = line.Split(':', 3);
            if (f.Length < 3 || !f[2].EndsWith("/" + sessionId, StringComparison.Ordinal)) continue;
            foreach (var controller in f[1].Split(',')) set.Add(controller);
        }
        return set;
    }
}
