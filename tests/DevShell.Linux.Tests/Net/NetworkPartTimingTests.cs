using System.Diagnostics;
using DevShell.Linux.Launch;
using DevShell.Linux.Net;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// The network part of a launch, warm: one process runs NetworkPart.Prepare/Teardown many times against a real store,
/// bridge, nft table and netns directory (all test-named), with other bridged envs running, and reports the median of
/// each traced phase. This is the cost a launch pays once JIT and first-call costs are gone (a NativeAOT front).
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NetworkPartTimingTests(ITestOutputHelper output)
{
    private const int Background = 10;
    private const int Warmup = 5;
    private const int Measured = 40;

    [Fact]
    public void Warm_network_phases_of_a_launch_are_a_few_milliseconds()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);
        var profile = PartLab.Profile("timing");
        for (int i = 0; i < Background; i++)
        {
            lab.Start(profile);
        }

        var phases = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var teardown = new List<double>();
        for (int i = 0; i < Warmup + Measured; i++)
        {
            var times = new List<(string, double)>();
            var sw = Stopwatch.StartNew();
            double last = 0;
            EnvContext env = lab.Start(profile, phase =>
            {
                double now = sw.Elapsed.TotalMilliseconds;
                times.Add((phase, now - last));
                last = now;
            });

            // What a launch relies on: the veth on the bridge, the name in the shared hosts file.
            using (var netlink = Netlink.Open())
            {
                Assert.NotNull(netlink.TryGetLink(BridgeNetwork.HostInterfaceName(env.SessionId)));
            }

            Assert.Contains($"{env.SessionId}.devshell", File.ReadAllText(lab.Names.HostsFile), StringComparison.Ordinal);

            sw.Restart();
            Assert.True(lab.Stop(env.SessionId));
            double down = sw.Elapsed.TotalMilliseconds;
            Assert.DoesNotContain($"{env.SessionId}.devshell", File.ReadAllText(lab.Names.HostsFile), StringComparison.Ordinal);
            if (i < Warmup)
            {
                continue;
            }

            foreach (var (phase, ms) in times)
            {
                (phases.TryGetValue(phase, out var list) ? list : phases[phase] = []).Add(ms);
            }

            teardown.Add(down);
        }

        // Not "netns": creating a namespace waits for the kernel's cleanup of those destroyed just before (each
        // teardown here lets the kernel destroy the namespace and its veth in a worker, and the next launch follows at
        // once), so it measures the kernel's backlog more than this code. A launch begins it while its store unit runs.
        double network = 0;
        foreach (string phase in new[] { "veth", "nft", "names" })
        {
            network += Median(phases[phase]);
        }

        output.WriteLine($"{Measured} warm launches with {Background} bridged envs running (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}):");
        foreach (var (phase, list) in phases)
        {
            output.WriteLine($"  {phase,-6} median {Median(list),6:F2} ms  p90 {Percentile(list, 0.9),6:F2} ms");
        }

        output.WriteLine($"  veth+nft+names median sum {network:F2} ms; teardown median {Median(teardown):F2} ms");

        // A loose bound that still catches a regression to spawning tools (nft, ip) or rewriting everything per launch.
        Assert.True(network < 40, $"the warm network part took {network:F1} ms (median sum)");
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Round(p * (sorted.Count - 1)))];
    }
}
