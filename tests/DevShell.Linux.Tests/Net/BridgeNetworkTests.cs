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
    private bool Ready() => NetLab.Ready(output);

    [Fact]
    public void Two_envs_talk_TCP_over_the_bridge()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

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
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

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
    public void Env_links_get_the_uplink_MTU_the_BIG_TCP_size_and_a_MAC_made_from_the_address()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv a = lab.AddEnv(5);
        int mtu = BridgeNetwork.UplinkMtu();

        using var netlink = Netlink.Open();
        LinkInfo host = netlink.TryGetLink(BridgeNetwork.HostInterfaceName(a.Id))!;
        LinkInfo bridge = netlink.TryGetLink(lab.BridgeName)!;
        using var inside = Netlink.OpenInNetns(a.NetnsPath);
        LinkInfo eth0 = inside.TryGetLink("eth0")!;
        output.WriteLine($"uplink mtu {mtu}; eth0 mtu {eth0.Mtu} gso {eth0.GsoIpv4MaxSize} mac {eth0.Mac}; host veth gso {host.GsoIpv4MaxSize}; bridge gso {bridge.GsoIpv4MaxSize}");
        Assert.Equal([mtu, mtu, mtu], new[] { eth0.Mtu, host.Mtu, bridge.Mtu });
        Assert.Equal(Netlink.FormatMac(BridgeNetwork.EnvMac(a.Ip)), eth0.Mac);
        Assert.Equal(host.Index, eth0.LinkIndex);
        if (KernelAtLeast(6, 3))
        {
            Assert.Equal([BridgeNetwork.DefaultGsoMaxSize, BridgeNetwork.DefaultGsoMaxSize, BridgeNetwork.DefaultGsoMaxSize],
                new[] { eth0.GsoIpv4MaxSize, host.GsoIpv4MaxSize, bridge.GsoIpv4MaxSize });
        }
    }

    [Fact]
    public void The_bridge_keeps_its_MAC_when_the_env_with_the_lowest_MAC_leaves()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv a = lab.AddEnv(2);
        LabEnv b = lab.AddEnv(3);
        using var netlink = Netlink.Open();
        string before = netlink.TryGetLink(lab.BridgeName)!.Mac;

        // Give a's host end the lowest possible MAC: an unpinned bridge would take it, then lose it with a.
        netlink.SetLinkSettings(BridgeNetwork.HostInterfaceName(a.Id), new LinkSettings { Mac = [0x02, 0, 0, 0, 0, 1] });
        Assert.Equal(before, netlink.TryGetLink(lab.BridgeName)!.Mac);
        BridgeNetwork.Detach(a.Id);
        Assert.Equal(before, netlink.TryGetLink(lab.BridgeName)!.Mac);
        Assert.Equal("3", File.ReadAllText($"/sys/class/net/{lab.BridgeName}/addr_assign_type").Trim());

        // And b still reaches the gateway without waiting for its ARP entry to fail.
        lab.StartServer(null, lab.Gateway, 8082);
        Assert.Equal("8082", NetLab.TryConnect(b, lab.Gateway, 8082));
    }

    [Fact]
    public void TCP_between_envs_sends_packets_larger_than_64_KiB_through_the_bridge()
    {
        if (!Requires.Feature(KernelAtLeast(6, 3), "BIG TCP for IPv4 needs Linux 6.3+", output))
        {
            return;
        }

        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv a = lab.AddEnv(2);
        LabEnv b = lab.AddEnv(3);
        LinkStats before = BridgeNetwork.TryReadStats(a.Id)!.Value;

        // 256 MiB from a to b over TCP; the host end of a's veth counts each packet a sent as one rx packet.
        string sink = $"import socket; s=socket.socket(); s.bind(('{Ipv4.Format(b.Ip)}', 9000)); s.listen(1); print('ready', flush=True); c,_=s.accept()\nwhile c.recv(1<<20): pass";
        string source = $"import socket; c=socket.create_connection(('{Ipv4.Format(b.Ip)}', 9000)); b=b'x'*(1<<20)\nfor _ in range(256): c.sendall(b)\nc.close()";
        using var server = StartIn(b, sink);
        Assert.Equal("ready", server.StandardOutput.ReadLine());
        using (var client = StartIn(a, source))
        {
            Assert.True(client.WaitForExit(60_000), "the transfer did not finish in 60 s");
            Assert.Equal(0, client.ExitCode);
        }

        Assert.True(server.WaitForExit(10_000));
        LinkStats after = BridgeNetwork.TryReadStats(a.Id)!.Value;
        double average = (double)(after.RxBytes - before.RxBytes) / (after.RxPackets - before.RxPackets);
        output.WriteLine($"{after.RxPackets - before.RxPackets} packets, {average:F0} bytes on average");
        Assert.True(average > 65536, $"average packet {average:F0} bytes: BIG TCP is not in effect");
    }

    [Fact]
    public void Uplink_MTU_is_the_smallest_of_the_default_routes_interfaces_clamped_to_1500()
    {
        string root = Directory.CreateTempSubdirectory("devshell-mtu-").FullName;
        try
        {
            void Route(params string[] lines) => File.WriteAllText(Path.Combine(root, "proc", "net", "route"),
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" + string.Join("\n", lines) + "\n");
            void Mtu(string iface, int mtu)
            {
                Directory.CreateDirectory(Path.Combine(root, "sys", "class", "net", iface));
                File.WriteAllText(Path.Combine(root, "sys", "class", "net", iface, "mtu"), $"{mtu}\n");
            }

            Directory.CreateDirectory(Path.Combine(root, "proc", "net"));
            string proc = Path.Combine(root, "proc"), sys = Path.Combine(root, "sys");
            Mtu("eth0", 1400);
            Mtu("wg0", 1420);
            Mtu("jumbo0", 9000);
            Mtu("lan0", 1300);
            Route("eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0", "lan0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0");
            Assert.Equal(1400, BridgeNetwork.UplinkMtu(proc, sys)); // lan0 is not a default route
            Route("wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0");
            Assert.Equal(1420, BridgeNetwork.UplinkMtu(proc, sys));
            Route("jumbo0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0");
            Assert.Equal(1500, BridgeNetwork.UplinkMtu(proc, sys));
            Route();
            Assert.Equal(1500, BridgeNetwork.UplinkMtu(proc, sys));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void All_send_redirects_is_turned_off_only_when_no_other_non_bridge_interface_relies_on_it()
    {
        string root = Directory.CreateTempSubdirectory("devshell-redirects-").FullName;
        try
        {
            string procSys = Path.Combine(root, "proc", "sys"), classNet = Path.Combine(root, "class", "net");
            void Conf(string iface, string value, bool bridge = false)
            {
                Directory.CreateDirectory(Path.Combine(procSys, "net", "ipv4", "conf", iface));
                File.WriteAllText(Path.Combine(procSys, "net", "ipv4", "conf", iface, "send_redirects"), value + "\n");
                Directory.CreateDirectory(Path.Combine(classNet, iface));
                if (bridge)
                {
                    Directory.CreateDirectory(Path.Combine(classNet, iface, "bridge"));
                }
            }

            var sysctl = new Sysctl(procSys);
            Conf("all", "1");
            Conf("default", "1");
            Conf("eth0", "1");
            Conf("devshell0", "0", bridge: true);
            Conf("other0", "0", bridge: true);
            Conf("tun0", "0");

            Assert.False(sysctl.DisableRedirectsOverride("devshell0", classNet)); // tun0 asked for 0 but gets 1 from "all" today
            Assert.Equal("1", sysctl.TryRead("net/ipv4/conf/all/send_redirects"));
            File.WriteAllText(Path.Combine(procSys, "net", "ipv4", "conf", "tun0", "send_redirects"), "1\n");
            Assert.True(sysctl.DisableRedirectsOverride("devshell0", classNet));
            Assert.Equal("0", sysctl.TryRead("net/ipv4/conf/all/send_redirects"));
            Assert.False(sysctl.DisableRedirectsOverride("devshell0", classNet)); // already off: one read
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static bool KernelAtLeast(int major, int minor)
    {
        string[] parts = File.ReadAllText("/proc/sys/kernel/osrelease").Split('.', '-');
        return int.TryParse(parts[0], out int ma) && int.TryParse(parts[1], out int mi) && (ma > major || (ma == major && mi >= minor));
    }

    private static Process StartIn(LabEnv env, string python)
    {
        var psi = new ProcessStartInfo("timeout") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "90", "nsenter", $"--net={env.NetnsPath}", "python3", "-c", python })
        {
            psi.ArgumentList.Add(arg);
        }

        return Process.Start(psi)!;
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
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

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
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

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
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

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
