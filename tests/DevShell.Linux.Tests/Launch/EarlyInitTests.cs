using DevShell.Core.Profiles;
using DevShell.Linux.Launch;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// Stage two started before the launch (EarlyInit, what `devshell run P` and `devshell shell P` do first thing): the
/// launch runs in it when it fits, and one no launch takes leaves no process.
/// </summary>
public sealed class EarlyInitTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void A_launch_runs_in_the_stage_two_started_ahead_of_it()
    {
        if (!Requires.Root(output)) return;
        var profile = EnvHarness.Profile("early");
        profile.Hostname = "early-host";

        var (code, stdout, adopted, earlyGone) = RunWithEarly(startedFor: profile, runs: profile, "hostname; cat /proc/1/cmdline | tr '\\0' ' '; exit 7");

        Assert.True(adopted, "the launch started a stage two of its own");
        Assert.Equal(7, code);
        Assert.StartsWith("early-host\n", stdout, StringComparison.Ordinal);
        Assert.Contains("init", stdout, StringComparison.Ordinal);
        Assert.True(earlyGone, "stage two outlived its env");
    }

    [Fact]
    public void A_stage_two_started_for_other_namespaces_is_killed_and_the_launch_starts_its_own()
    {
        if (!Requires.Root(output)) return;
        // Started for a profile with a UTS namespace; the profile the launch runs was changed meanwhile to share the
        // host's: the early stage two does not fit, and must neither run the command nor be left behind.
        var before = EnvHarness.Profile("early");
        var after = EnvHarness.Profile("early");
        after.Namespaces = ["ipc", "mount", "pid", "net"];

        var (code, stdout, adopted, earlyGone) = RunWithEarly(startedFor: before, runs: after, "hostname");

        Assert.False(adopted);
        Assert.Equal(0, code);
        Assert.Equal(System.Net.Dns.GetHostName() + "\n", stdout);
        Assert.True(earlyGone, "the unused stage two is still there");
    }

    [Fact]
    public void An_early_stage_two_that_no_launch_takes_is_killed_and_reaped()
    {
        if (!Requires.Root(output)) return;
        var early = EarlyInit.TryStart(EnvHarness.Profile(), new LaunchRequest(), Artifacts.Stage2);
        Assert.NotNull(early);
        int pid = early.Spawned();
        Assert.True(Directory.Exists($"/proc/{pid}"));

        early.Dispose();

        Assert.False(Directory.Exists($"/proc/{pid}"), $"stage two ({pid}) is still there");
        early.Dispose(); // harmless twice
    }

    [Fact]
    public void No_stage_two_is_started_early_for_a_bridged_env()
    {
        if (!Requires.Root(output)) return;
        // Its network namespace is made on the spawning thread and named after the session, which does not exist yet.
        var bridged = EnvHarness.Profile();
        bridged.Network = new NetworkSpec { Mode = "bridge" };
        Assert.Null(EarlyInit.TryStart(bridged, new LaunchRequest(), Artifacts.Stage2));
    }

    /// <summary>Starts stage two early for one profile, launches another (or the same) with it, as `devshell run` does.</summary>
    private (int Code, string Out, bool Adopted, bool EarlyGone) RunWithEarly(Profile startedFor, Profile runs, string command)
    {
        EarlyInit? early = null;
        int pid = -1;
        try
        {
            var (code, stdout, stderr, _) = _env.RunArgv(runs, ["/bin/sh", "-c", command], early: request =>
            {
                early = EarlyInit.TryStart(startedFor, request, Artifacts.Stage2);
                pid = early?.Spawned() ?? -1;
                return early;
            });
            output.WriteLine($"exit {code}, early stage two {pid}\n{stdout}\n{stderr}");
            Assert.NotNull(early);
            Assert.True(pid > 0);
            return (code, stdout, early.Adopted, !Directory.Exists($"/proc/{pid}"));
        }
        finally
        {
            early?.Dispose();
        }
    }
}
