using DevShell.Core.Profiles;
using DevShell.Linux.Launch;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>The last reading after the command exits: taken when it can matter, skipped when it cannot.</summary>
public sealed class ViolationWatchTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void A_quick_command_without_limits_gets_no_last_reading()
    {
        if (!Requires.Root(output)) return;
        Assert.Null(RunQuick(EnvHarness.Profile(), verdict: false).Last);
    }

    [Fact]
    public void A_quick_command_gets_its_last_reading_when_a_verdict_is_wanted()
    {
        if (!Requires.Root(output)) return;
        var watch = RunQuick(EnvHarness.Profile(), verdict: true);
        Assert.NotNull(watch.Last);
        Assert.True(watch.MemoryPeakBytes > 0, "no memory peak in the verdict's reading");
    }

    [Fact]
    public void A_quick_command_with_a_limit_gets_its_last_reading()
    {
        if (!Requires.Root(output)) return;
        var profile = EnvHarness.Profile();
        profile.Limits = new LimitsSpec { Pids = 64 };
        Assert.NotNull(RunQuick(profile, verdict: false).Last);
    }

    /// <summary>`true` in an env with the watch wired as the engine wires it; it ends before the first periodic tick.</summary>
    private ViolationWatch RunQuick(Profile profile, bool verdict)
    {
        var watch = new ViolationWatch(_env.Cgroups.Driver, _env.Journal) { VerdictWanted = verdict };
        _env.Launcher.OnTick = watch.Tick;
        _env.Launcher.OnEnd = watch.Final;
        var (code, _, stderr, _) = _env.RunArgv(profile, ["true"]);
        output.WriteLine($"exit {code} {stderr}; last reading: {(watch.Last is null ? "none" : "taken")}");
        Assert.Equal(0, code);
        return watch;
    }
}
