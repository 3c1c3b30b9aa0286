using System.Diagnostics;
using DevShell.Core.Networking;
using DevShell.Linux.Interop;
using DevShell.Linux.Net;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

[Collection(NetworkTestGroup.Name)]
public sealed class BridgeNetworkTests(ITestOutputHelper output)
{
    private bool Ready() =>
        Requires.Root(output) && Requires.Command("nft", output, "apt-get install nftables")
        && Requires.Command("python3", output) && Requires.Command("nsenter", output, "apt-get install util-linux");

    [Fact]
    public void Two_envs_talk_TCP_over_the_bridge()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        lab.Up();
        LabEnv a = lab.AddEnv(2);
        LabEnv b = lab.AddEnv(3);
        lab.StartServer(b, b.Ip, 8080);

        Assert.Equal("8080", NetLab.TryConnect(a, b.Ip, 8080));

        // The traffic went through the host veths (routed: the bridge answers ARP for the subnet).
        LinkStats? stats = BridgeNetwork.TryReadStats(a.Id);
        Assert.NotNull(stats);
        Assert.True(stats.Value.RxBytes > 0 && stats.Value.TxBytes > 0, $"veth counters: {stats}");
    }

    [Fact]
    public void Env_sees_only_lo_and_eth0_with_its_address_and_default_route()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        lab.Up();
        LabEnv a = lab.AddEnv(7);

        using var inside = Netlink.OpenInNetns(a.NetnsPath);
        Assert.Equal(["eth0", "lo"], inside.ListLinks().Select(l => l.Name).Order(StringComparer.Ordinal));
        Assert.All(inside.ListLinks(), l => Assert.True(l.IsUp, $"{l.Name} is down"));
        Assert.Equal([new InterfaceAddress(a.Ip, 24)], inside.ListIPv4Addresses("eth0"));
        string routes = RunIn(a, "ip", "-4", "route", "show", "default");
        Assert.Contains($"default via {Ipv4.Format(lab.Gateway)} dev eth0", routes, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureBridge_is_idempotent_and_reports_what_it_changed()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        BridgeStatus first = lab.Up();
        BridgeStatus second = lab.Network.EnsureBridge();

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Empty(second.Changes);
        Assert.Contains(first.Changes, c => c.Contains("proxy_arp_pvlan", StringComparison.Ordinal));
        using var netlink = Netlink.Open();
        Assert.Equal([new InterfaceAddress(lab.Gateway, 24)], netlink.ListIPv4Addresses(lab.BridgeName));
        Assert.Equal("1", new Sysctl().TryRead("net/ipv4/ip_forward"));
        output.WriteLine("changes: " + string.Join("; ", first.Changes));
    }

    [Fact]
    public void EnsureBridge_refuses_a_non_bridge_interface_with_that_name()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        string name = NetTestNames.Bridge();
        string ns = lab.Netns.Create("tnotbr" + NetTestNames.Hex(2));
        using var netlink = Netlink.Open();
        netlink.CreateVethPair(name, "eth0", ns);
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => new BridgeNetwork(lab.Subnet, name).EnsureBridge());
            Assert.Equal($"network interface {name} exists but is a veth, not a bridge; delete it (ip link del {name}) or configure another bridge name", e.Message);
        }
        finally
        {
            netlink.TryDeleteLink(name);
            lab.Netns.Delete(Path.GetFileName(ns));
        }
    }

    [Fact]
    public void Attach_that_fails_midway_leaves_no_veth()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        lab.Up();
        string id = "t" + NetTestNames.Hex();
        string path = lab.Netns.Create(id);
        lab.Netns.Create(id + "x");

        // A gateway outside the env's on-link prefix: the default route is refused after the veth exists.
        uint ip = lab.Subnet.Network + 9;
        var e = Assert.Throws<SyscallException>(() => lab.Network.Attach(id, path, ip, 24, Ipv4Cidr.Parse("192.0.2.0/24").Network + 77));
        output.WriteLine(e.Message);
        Assert.StartsWith("adding default route via 192.0.2.77 dev eth0", e.Message, StringComparison.Ordinal);

        using var netlink = Netlink.Open();
        Assert.Null(netlink.TryGetLink(BridgeNetwork.HostInterfaceName(id)));
        using var inside = Netlink.OpenInNetns(path);
        Assert.Equal(["lo"], inside.ListLinks().Select(l => l.Name));
        lab.Netns.Delete(id);
        lab.Netns.Delete(id + "x");
    }

    [Fact]
    public void Attach_rejects_addresses_outside_the_subnet_or_reserved()
    {
        var network = new BridgeNetwork(Ipv4Cidr.Parse("10.250.3.0/24"), "dstestx");
        foreach (string bad in new[] { "10.250.4.2", "10.250.3.0", "10.250.3.1", "10.250.3.255" })
        {
            Assert.True(Ipv4.TryParse(bad, out uint ip));
            var e = Assert.Throws<ArgumentException>(() => network.Attach("abc", "/nonexistent", ip));
            Assert.StartsWith($"env address {bad} is not a free host address of 10.250.3.0/24", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Detach_removes_the_veth_and_its_peer_and_a_second_detach_is_false()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        lab.Up();
        LabEnv a = lab.AddEnv(4);
        Assert.Contains(a.Id, BridgeNetwork.ListAttachedSessions());

        Assert.True(BridgeNetwork.Detach(a.Id));
        Assert.False(BridgeNetwork.Detach(a.Id));
        Assert.DoesNotContain(a.Id, BridgeNetwork.ListAttachedSessions());
        using var inside = Netlink.OpenInNetns(a.NetnsPath);
        Assert.Equal(["lo"], inside.ListLinks().Select(l => l.Name));
    }

    [Fact]
    public void Lab_teardown_leaves_no_bridge_veth_netns_or_table()
    {
        if (!Ready())
        {
            return;
        }

        var lab = new NetLab(output);
        lab.Up();
        LabEnv a = lab.AddEnv(2, s => s with { Ports = [new PortMapping(20000 + Random.Shared.Next(20000), 80, Protocol.Tcp)] });
        lab.AddEnv(3, s => s with { Egress = Linux.Net.Nft.EgressPolicy.None });
        lab.AddOutside();
        lab.StartServer(a, a.Ip, 80);
        lab.Dispose();

        lab.AssertGone();
    }

    [Fact]
    public void Full_attach_takes_a_few_milliseconds()
    {
        if (!Ready())
        {
            return;
        }

        using var lab = new NetLab(output);
        lab.Up();
        var netns = new List<double>();
        var attach = new List<double>();
        var veth = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            string id = "t" + NetTestNames.Hex();
            var sw = Stopwatch.StartNew();
            string path = lab.Netns.Create(id);
            netns.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            lab.Network.Attach(id, path, lab.Subnet.Network + 10 + (uint)i);
            attach.Add(sw.Elapsed.TotalMilliseconds);
            BridgeNetwork.Detach(id);

            using (var netlink = Netlink.Open())
            {
                sw.Restart();
                netlink.CreateVethPair(BridgeNetwork.HostInterfaceName(id), "eth0", path);
                veth.Add(sw.Elapsed.TotalMilliseconds);
                netlink.DeleteLink(BridgeNetwork.HostInterfaceName(id));
            }

            lab.Netns.Delete(id);
        }

        output.WriteLine($"netns create median {Median(netns):F2} ms; veth pair add (netlink) median {Median(veth):F2} ms; " +
            $"full Attach median {Median(attach):F2} ms, max {attach.Max():F2} ms (n=10)");
        Assert.True(Median(attach) < 500, $"Attach median {Median(attach)} ms");
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string RunIn(LabEnv env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add($"--net={env.NetnsPath}");
        psi.ArgumentList.Add(file);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"{file} timed out");
        return text;
    }
}
