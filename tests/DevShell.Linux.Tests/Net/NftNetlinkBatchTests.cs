using System.Diagnostics;
using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// Per-env changes written as nf_tables netlink messages must make exactly the objects libnftables makes from the
/// same operations as text: both are applied to twin tables and the listings compared.
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NftNetlinkBatchTests(ITestOutputHelper output)
{
    private bool Ready() =>
        Requires.Root(output) && Requires.Command("nft", output, "apt-get install nftables")
        && Requires.Feature(NftRunner.LibraryAvailable(out string problem), $"libnftables is needed ({problem})", output);

    private static uint Ip(string text) => Ipv4.TryParse(text, out uint a) ? a : throw new ArgumentException(text);

    private static EgressRule Rule(string text) => EgressRule.TryParse(text, out EgressRule? r, out string problem) ? r! : throw new ArgumentException(problem);

    private static IEnumerable<EnvFirewallSpec> Specs(Ipv4Cidr subnet)
    {
        uint n = subnet.Network;
        yield return new EnvFirewallSpec("a1", n + 2);
        yield return new EnvFirewallSpec("a2", n + 3) { Egress = EgressPolicy.None, Ports = [new PortMapping(31001, 80, Protocol.Tcp), new PortMapping(31001, 53, Protocol.Udp)] };
        yield return new EnvFirewallSpec("a3", n + 4) { Peers = PeerPolicy.Isolated };
        yield return new EnvFirewallSpec("a4", n + 5)
        {
            Egress = EgressPolicy.Allow,
            Allow = [Rule("10.0.0.0/8:443"), Rule("10.16.0.0/12"), Rule("192.168.7.0/24:53/udp"), Rule("0.0.0.0/0:22"), Rule("203.0.113.9"), Rule("db.devshell:5432"), Rule("gone.devshell")],
            PeerAddresses = new Dictionary<string, uint> { ["db"] = n + 2 },
            Ports = [new PortMapping(31002, 8080, Protocol.Tcp)],
        };
        yield return new EnvFirewallSpec("a5", n + 6) { Egress = EgressPolicy.Allow, Peers = PeerPolicy.Isolated, Allow = [Rule("10.1.2.0/23:80")] };
    }

    [Fact]
    public void Netlink_and_libnftables_make_identical_env_objects_and_remove_them_alike()
    {
        if (!Ready())
        {
            return;
        }

        using var netlinkTable = new TestTable(NftEnvPath.Netlink);
        using var textTable = new TestTable(NftEnvPath.Text, netlinkTable.Config.BridgeName, netlinkTable.Subnet);
        var (viaNetlink, viaText, subnet) = (netlinkTable.Firewall, textTable.Firewall, netlinkTable.Subnet);
        string empty = List(viaNetlink);
        foreach (EnvFirewallSpec spec in Specs(subnet))
        {
            viaNetlink.AddEnv(spec);
            viaText.AddEnv(spec);
        }

        string netlink = List(viaNetlink), text = List(viaText);
        output.WriteLine(netlink);
        Assert.Equal(text, netlink);
        Assert.Contains("ip daddr 10.16.0.0/12 accept", netlink, StringComparison.Ordinal);
        Assert.Contains("udp . 31001 comment \"a2\" : " + Ipv4.Format(subnet.Network + 3) + " . 53", netlink, StringComparison.Ordinal);
        Assert.Equal(
            viaText.ListEnvElements().Select(e => (e.SessionId, e.Address, e.HasChain, e.HasCounter, e.Published.Count)),
            viaNetlink.ListEnvElements().Select(e => (e.SessionId, e.Address, e.HasChain, e.HasCounter, e.Published.Count)));

        // Replace (a changed allow list) and remove, then only the base objects are left.
        var a4 = Specs(subnet).Single(s => s.SessionId == "a4");
        viaNetlink.ReplaceEnv(a4, a4 with { Allow = [Rule("10.9.0.0/16:8443")] });
        viaText.ReplaceEnv(a4, a4 with { Allow = [Rule("10.9.0.0/16:8443")] });
        Assert.Equal(List(viaText), List(viaNetlink));
        foreach (EnvFirewallSpec spec in Specs(subnet))
        {
            viaNetlink.RemoveEnv(spec);
            viaNetlink.RemoveEnv(spec); // twice: the batch works whether or not the objects are there
        }

        Assert.Equal(empty, List(viaNetlink));
    }

    [Fact]
    public void A_refused_operation_fails_the_whole_batch_and_names_the_command()
    {
        if (!Ready())
        {
            return;
        }

        using var table = new TestTable(NftEnvPath.Netlink);
        var (firewall, subnet) = (table.Firewall, table.Subnet);
        firewall.AddEnv(new EnvFirewallSpec("b1", subnet.Network + 2) { Ports = [new PortMapping(31003, 80, Protocol.Tcp)] });
        string before = List(firewall);

        // Host port 31003/tcp is taken by b1: the element is refused, and b2's counter and chain must not stay.
        var e = Assert.Throws<NftException>(() =>
            firewall.AddEnv(new EnvFirewallSpec("b2", subnet.Network + 3) { Ports = [new PortMapping(31003, 81, Protocol.Tcp)] }));
        output.WriteLine(e.Message);
        Assert.Contains($"add element inet {firewall.Config.TableName} published {{ tcp . 31003 comment \"b2\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("(EEXIST)", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, List(firewall));

        var missing = new NftFirewall(new NftTableConfig(NetTestNames.NftTable(), "x", subnet), envPath: NftEnvPath.Netlink);
        var absent = Assert.Throws<NftException>(() => missing.AddEnv(new EnvFirewallSpec("b3", subnet.Network + 4)));
        Assert.Contains("(ENOENT)", absent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_netlink_env_batch_in_a_fresh_table_costs_well_under_a_millisecond()
    {
        if (!Ready())
        {
            return;
        }

        using var table = new TestTable(NftEnvPath.Netlink);
        var (netlink, subnet) = (table.Firewall, table.Subnet);
        var add = new List<double>();
        var remove = new List<double>();
        for (int i = 0; i < 30; i++)
        {
            var spec = new EnvFirewallSpec($"c{i}", subnet.Network + 2 + (uint)i) { Ports = [new PortMapping(32000 + i, 80, Protocol.Tcp)] };
            var sw = Stopwatch.StartNew();
            netlink.AddEnv(spec);
            add.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            netlink.RemoveEnv(spec);
            remove.Add(sw.Elapsed.TotalMilliseconds);
        }

        add.Sort();
        remove.Sort();
        output.WriteLine($"netlink add median {add[15]:F3} ms (max {add[^1]:F2}); remove median {remove[15]:F3} ms (max {remove[^1]:F2})");
        Assert.True(add[15] < 5, $"add median {add[15]} ms");
    }

    /// <summary>The table's listing with its name and marker chain (a hash of the name) made neutral.</summary>
    private static string List(NftFirewall firewall) =>
        System.Text.RegularExpressions.Regex.Replace(
            new NftRunner(NftBackend.Library).Run(["list", "table", "inet", firewall.Config.TableName], null, "listing")
                .Replace(firewall.Config.TableName, "T", StringComparison.Ordinal),
            "base-[0-9a-f]{8}",
            "base-marker");
}
