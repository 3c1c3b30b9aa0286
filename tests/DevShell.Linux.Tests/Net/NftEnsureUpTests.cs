using System.Diagnostics;
using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

[Collection(NetworkTestGroup.Name)]
public sealed class NftEnsureUpTests(ITestOutputHelper output)
{
    private bool Ready() => Requires.Root(output) && Requires.Command("nft", output, "apt-get install nftables");

    [Fact]
    public void EnsureUp_writes_the_base_chains_once_and_then_only_looks_up_its_marker()
    {
        if (!Ready())
        {
            return;
        }

        using var table = new TestTable(up: false);
        var (config, firewall) = (table.Config, table.Firewall);
        Assert.True(firewall.EnsureUp()); // no table yet
        firewall.AddEnv(new EnvFirewallSpec("e1", config.Subnet.Network + 2));

        var sw = Stopwatch.StartNew();
        Assert.False(firewall.EnsureUp());
        output.WriteLine($"EnsureUp with the marker present: {sw.Elapsed.TotalMilliseconds:F2} ms");

        Assert.Contains(NftRuleset.MarkerChain(config), firewall.ListChainNames());
        Assert.Contains("forward", firewall.ListChainNames());
        Assert.Single(firewall.ListEnvElements(), e => e.SessionId == "e1");
    }

    [Fact]
    public void A_table_written_by_another_configuration_is_rewritten_its_old_marker_removed_and_envs_kept()
    {
        if (!Ready())
        {
            return;
        }

        using var table = new TestTable(up: false);
        var config = table.Config;
        var old = config with { Subnet = Ipv4Cidr.Parse("10.250.0.0/24") };
        new NftFirewall(old).Up();
        new NftFirewall(old).AddEnv(new EnvFirewallSpec("e1", old.Subnet.Network + 2));
        var firewall = table.Firewall;

        Assert.True(firewall.EnsureUp());

        IReadOnlyList<string> chains = firewall.ListChainNames();
        Assert.Contains(NftRuleset.MarkerChain(config), chains);
        Assert.DoesNotContain(NftRuleset.MarkerChain(old), chains);
        Assert.Single(firewall.ListEnvElements(), e => e.SessionId == "e1");
        string rules = new NftRunner().Run(["list", "chain", "inet", config.TableName, "nat-postrouting"], null, "listing");
        Assert.Contains($"ip saddr {config.Subnet}", rules, StringComparison.Ordinal);
        Assert.DoesNotContain("10.250.0.0/24", rules, StringComparison.Ordinal);
        Assert.False(firewall.EnsureUp());
    }
}
