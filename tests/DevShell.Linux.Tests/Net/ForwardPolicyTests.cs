using DevShell.Linux.Net;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

[Collection(NetworkTestGroup.Name)]
public sealed class ForwardPolicyTests(ITestOutputHelper output)
{
    private bool Ready() =>
        Requires.Root(output) && Requires.Command("nft", output, "apt-get install nftables")
        && Requires.Feature(NftRunner.LibraryAvailable(out string problem), $"libnftables is needed in-process ({problem})", output)
        && Requires.Command("python3", output) && Requires.Command("nsenter", output, "apt-get install util-linux");

    /// <summary>
    /// Runs in a network namespace of the test's own that stands in for the host (its own bridge, envs, nft
    /// tables): a forward chain with policy drop in the real host namespace would stop every other bridged
    /// env on this machine while the test runs.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(-10)]
    public void Another_tables_forward_drop_policy_stops_env_traffic_that_DevShell_accepts_until_its_fix_is_applied(int priority)
    {
        if (!Ready())
        {
            return;
        }

        var hosts = new NetnsManager(NetTestNames.NetnsDirectory());
        string host = hosts.Create("h" + NetTestNames.Hex());
        try
        {
            NetnsThread.Run(host, () => Scenario(priority), "test host namespace");
        }
        finally
        {
            hosts.Delete(Path.GetFileName(host));
            hosts.ReleaseDirectory();
            Directory.Delete(Path.GetDirectoryName(hosts.Directory)!);
        }
    }

    private int Scenario(int priority)
    {
        using var lab = new NetLab(output);
        lab.Up();
        LabEnv a = lab.AddEnv(2);
        LabEnv b = lab.AddEnv(3);
        lab.StartServer(b, b.Ip, 8080);
        Assert.Equal("8080", NetLab.TryConnect(a, b.Ip, 8080));
        var nft = new NftRunner(NftBackend.Library); // in-process: acts in this thread's (the stand-in host's) namespace
        string table = "dsfwdtest" + NetTestNames.Hex();

        // What Docker does to iptables' FORWARD, as a table of this test's own, after or before DevShell's chain.
        nft.Apply($"add table inet {table}\nadd chain inet {table} dropall {{ type filter hook forward priority {priority}; policy drop; }}\n", "test drop chain");

        Assert.Null(NetLab.TryConnect(a, b.Ip, 8080, timeoutMs: 1000));
        ForwardDropChain found = Assert.Single(ForwardPolicy.FindDropping(lab.BridgeName, lab.Firewall.Config.TableName, nft));
        Assert.Equal(("inet", table, "dropall", priority, false), (found.Family, found.Table, found.Chain, found.Priority, found.LetsBridgeThrough));
        string fix = found.Fix(lab.BridgeName);
        output.WriteLine($"fix: {fix}");
        Assert.Equal($"nft insert rule inet {table} dropall iifname \"{lab.BridgeName}\" accept && nft insert rule inet {table} dropall oifname \"{lab.BridgeName}\" accept", fix);

        foreach (string command in fix.Split(" && "))
        {
            nft.Apply(command["nft ".Length..] + "\n", "applying the fix");
        }

        Assert.Equal("8080", NetLab.TryConnect(a, b.Ip, 8080));
        Assert.True(Assert.Single(ForwardPolicy.FindDropping(lab.BridgeName, lab.Firewall.Config.TableName, nft)).LetsBridgeThrough);
        return 0;
    }

    [Fact]
    public void Docker_style_FORWARD_drop_is_found_and_the_fix_goes_to_DOCKER_USER()
    {
        const string json = """
            {"nftables": [
              {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
              {"table": {"family": "ip", "name": "filter", "handle": 1}},
              {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 2, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
              {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER", "handle": 3}},
              {"chain": {"family": "inet", "table": "devshell", "name": "forward", "handle": 4, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
              {"chain": {"family": "ip", "table": "other", "name": "fwd", "handle": 5, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
              {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 6, "expr": [
                {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "devshell0"}}, {"accept": null}]}}
            ]}
            """;

        ForwardDropChain found = Assert.Single(ForwardPolicy.Parse(json, "devshell0", "devshell"));

        Assert.Equal(("ip", "filter", "FORWARD", true, false, true), (found.Family, found.Table, found.Chain, found.AcceptsFromBridge, found.AcceptsToBridge, found.HasDockerUser));
        Assert.False(found.LetsBridgeThrough);
        Assert.Equal("iptables -I DOCKER-USER -i devshell0 -j ACCEPT && iptables -I DOCKER-USER -o devshell0 -j ACCEPT", found.Fix("devshell0"));
    }
}
