using System.Diagnostics;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Proof;

/// <summary>
/// The short version of scripts/chaos.sh: kill -9 the devshell front at random moments of launches, gc after each,
/// and prove that no kernel object, file, mount, process or session is left and that the profiles are intact.
/// </summary>
[Collection("env")]
public sealed class ChaosTests(ITestOutputHelper output) : IDisposable
{
    private const int Cycles = 50;

    /// <summary>Stop starting cycles after this long so the test stays near a minute even on a loaded host.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);

    private readonly ProofEnv _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void Kill_9_of_the_front_at_random_phases_then_gc_leaves_nothing_and_profiles_intact()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output)) return;
        foreach (var json in new[]
        {
            """{ "name": "chaos-bridge", "shell": "/bin/sh", "network": { "mode": "bridge" }, "limits": { "memory": "256M", "cpu": 0.5, "pids": 64 } }""",
            """{ "name": "chaos-none", "shell": "/bin/sh", "network": { "mode": "none" } }""",
        })
        {
            var add = _env.Run(TimeSpan.FromSeconds(30), null, json, "profile", "add", "-");
            Assert.True(add.Code == 0, add.ToString());
        }
        var before = _env.Run("profile", "export");
        Assert.Equal(0, before.Code);

        string mark = "7777." + Environment.ProcessId; // the payload `sleep 7777.PID` is recognisable if it leaks
        var rng = new Random();
        var killed = new Dictionary<string, int> { ["early"] = 0, ["setup"] = 0, ["running"] = 0, ["exited"] = 0 };
        int cycles = 0, gcEnded = 0;
        var clock = Stopwatch.StartNew();
        while (cycles < Cycles && clock.Elapsed < Budget)
        {
            cycles++;
            string profile = rng.Next(2) == 0 ? "chaos-bridge" : "chaos-none";
            using var front = _env.Start(["run", profile, "--", "sleep", mark]);
            int mode = rng.Next(4);
            if (mode == 0)
            {
                Thread.Sleep(rng.Next(301)); // 0-300 ms after the process started
            }
            else
            {
                // Until the session is claimed (setup begun) or running, then 0-150 ms into the setup phases.
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < TimeSpan.FromSeconds(20) && !front.HasExited && !(mode == 3 ? _env.AnyRunning() : _env.AnyClaim()))
                {
                    Thread.Sleep(10);
                }
                if (mode != 3) Thread.Sleep(rng.Next(151));
            }
            string state = _env.AnyRunning() ? "running" : _env.AnyClaim() ? "setup" : "early";
            if (front.HasExited)
            {
                killed["exited"]++;
            }
            else
            {
                front.Kill(); // SIGKILL, the front only: unshare and stage two are in their own process group
                killed[state]++;
            }
            Assert.True(front.WaitForExit(10_000), "the killed front did not exit");
            var gc = _env.Run("gc");
            Assert.True(gc.Code == 0, $"cycle {cycles}: devshell gc failed: {gc}");
            gcEnded += gc.Out.Split('\n').Count(l => l.StartsWith("ended session", StringComparison.Ordinal));
        }
        output.WriteLine($"{cycles} cycles in {clock.Elapsed.TotalSeconds:0} s (of {Cycles}; budget {Budget.TotalSeconds} s); kill -9 " +
            $"before the claim {killed["early"]}, during setup {killed["setup"]}, running {killed["running"]}; exited first {killed["exited"]}; gc ended {gcEnded} session(s)");

        Assert.Equal(0, _env.Run("gc").Code);
        var left = _env.Leftovers(["sleep", mark]);
        output.WriteLine("left: " + ProofEnv.Describe(left));
        Assert.True(left.Values.All(v => v == 0), "objects left behind: " + ProofEnv.Describe(left));

        var down = _env.Run("net", "down", "--force");
        Assert.True(down.Code == 0, down.ToString());
        Assert.Empty(_env.MountsUnderRunDir());

        var after = _env.Run("profile", "export");
        Assert.Equal(0, after.Code);
        Assert.Equal(before.Out, after.Out);
        Assert.True(cycles >= 10, $"only {cycles} cycles ran in {Budget.TotalSeconds} s: the host is too slow for this proof to mean much");
    }
}
