using System.Diagnostics;
using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>Egress policies, peers, published ports and drop counters, on real namespaces and nftables.</summary>
[Collection(NetworkTestGroup.Name)]
public sealed class FirewallTests(ITestOutputHelper output)
{
    [Fact]
    public void Egress_none_env_reaches_neither_a_peer_nor_the_gateway_and_its_drop_counter_rises()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv closed = lab.AddEnv(2, s => s with { Egress = EgressPolicy.None });
        LabEnv peer = lab.AddEnv(3);
        lab.StartServer(peer, peer.Ip, 8080);
        lab.StartServer(null, lab.Gateway, 8081);
        Assert.Equal("8080", NetLab.TryConnect(null, peer.Ip, 8080)); // the servers work
        Assert.Equal("8081", NetLab.TryConnect(peer, lab.Gateway, 8081));
        long before = lab.Firewall.ReadDropCounters()[closed.Id];

        Assert.Null(NetLab.TryConnect(closed, peer.Ip, 8080, timeoutMs: 1000));
        Assert.Null(NetLab.TryConnect(closed, lab.Gateway, 8081, timeoutMs: 1000));

        long after = lab.Firewall.ReadDropCounters()[closed.Id];
        output.WriteLine($"drop counter of {closed.Id}: {before} -> {after}");
        Assert.True(after >= before + 2, $"drop counter {before} -> {after}");
        Assert.Equal(0, lab.Firewall.ReadDropCounters()[peer.Id]);
    }

    [Fact]
    public void Egress_none_env_still_answers_connections_made_to_it()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv closed = lab.AddEnv(2, s => s with { Egress = EgressPolicy.None });
        LabEnv peer = lab.AddEnv(3);
        lab.StartServer(closed, closed.Ip, 9000);

        Assert.Equal("9000", NetLab.TryConnect(peer, closed.Ip, 9000));
        Assert.Equal(0, lab.Firewall.ReadDropCounters()[closed.Id]);
    }

    [Fact]
    public void Allow_list_reaches_only_the_allowed_port()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv server = lab.AddEnv(3);
        LabEnv client = lab.AddEnv(2, s => s with
        {
            Egress = EgressPolicy.Allow,
            Peers = PeerPolicy.Isolated,
            Allow = [Rule($"{Ipv4.Format(server.Ip)}:5432")],
        });
        lab.StartServer(server, server.Ip, 5432, 6379);

        Assert.Equal("5432", NetLab.TryConnect(client, server.Ip, 5432));
        Assert.Null(NetLab.TryConnect(client, server.Ip, 6379, timeoutMs: 1000));
        Assert.True(lab.Firewall.ReadDropCounters()[client.Id] > 0);
    }

    [Fact]
    public void Allow_list_peer_names_resolve_through_running_envs()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv db = lab.AddEnv(3);
        LabEnv other = lab.AddEnv(4);
        LabEnv client = lab.AddEnv(2, s => s with
        {
            Egress = EgressPolicy.Allow,
            Peers = PeerPolicy.Isolated,
            Allow = [Rule("orders-db.devshell:5432")],
            PeerAddresses = new Dictionary<string, uint> { ["orders-db"] = db.Ip },
        });
        lab.StartServer(db, db.Ip, 5432);
        lab.StartServer(other, other.Ip, 5432);

        Assert.Equal("5432", NetLab.TryConnect(client, db.Ip, 5432));
        Assert.Null(NetLab.TryConnect(client, other.Ip, 5432, timeoutMs: 1000));
    }

    [Fact]
    public void Isolated_env_cannot_open_connections_to_peers_but_shared_ones_can()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv isolated = lab.AddEnv(2, s => s with { Peers = PeerPolicy.Isolated });
        LabEnv shared = lab.AddEnv(3);
        lab.StartServer(isolated, isolated.Ip, 7000);
        lab.StartServer(shared, shared.Ip, 7000);
        lab.StartServer(null, lab.Gateway, 7001);

        Assert.Null(NetLab.TryConnect(isolated, shared.Ip, 7000, timeoutMs: 1000));
        Assert.Equal("7000", NetLab.TryConnect(shared, isolated.Ip, 7000));
        Assert.Equal("7001", NetLab.TryConnect(isolated, lab.Gateway, 7001)); // egress all: the host is not a peer
    }

    [Fact]
    public void Egress_to_other_networks_is_masqueraded_to_the_host_address()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        OutsideNet outside = lab.AddOutside();
        LabEnv env = lab.AddEnv(2);
        lab.StartServer(outside.NetnsPath, outside.Ip, echoPeer: true, 8443);

        // The outside host sees the host's address on that link, not the env's.
        Assert.Equal(Ipv4.Format(outside.HostIp), NetLab.TryConnect(env, outside.Ip, 8443));
    }

    [Fact]
    public void Allow_list_cidr_reaches_the_outside_and_none_does_not()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        OutsideNet outside = lab.AddOutside();
        LabEnv allowed = lab.AddEnv(2, s => s with
        {
            Egress = EgressPolicy.Allow,
            Allow = [Rule($"{Ipv4.Format(outside.Ip & 0xffffff00)}/24:8443")],
        });
        LabEnv closed = lab.AddEnv(3, s => s with { Egress = EgressPolicy.None });
        lab.StartServer(outside.NetnsPath, outside.Ip, echoPeer: false, 8443, 8444);

        Assert.Equal("8443", NetLab.TryConnect(allowed, outside.Ip, 8443));
        Assert.Null(NetLab.TryConnect(allowed, outside.Ip, 8444, timeoutMs: 1000));
        Assert.Null(NetLab.TryConnect(closed, outside.Ip, 8443, timeoutMs: 1000));
    }

    [Fact]
    public void Outside_hosts_cannot_open_connections_into_envs()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        OutsideNet outside = lab.AddOutside();
        lab.RouteOutsideToEnvs(outside);
        LabEnv env = lab.AddEnv(2);
        lab.StartServer(env, env.Ip, 8080);
        var from = new LabEnv("outside", outside.NetnsPath, outside.Ip);

        Assert.Null(NetLab.TryConnect(from, env.Ip, 8080, timeoutMs: 1000));
        Assert.True(lab.Firewall.ReadCounters()[NftRuleset.InboundCounter] > 0);
        Assert.Equal("8080", NetLab.TryConnect(null, env.Ip, 8080)); // the host itself may connect
    }

    [Fact]
    public void Published_port_answers_on_host_loopback()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        int hostPort = 20000 + Random.Shared.Next(20000);
        LabEnv web = lab.AddEnv(5, s => s with { Ports = [new PortMapping(hostPort, 3000, Protocol.Tcp)] });
        lab.StartServer(web, web.Ip, 3000);

        Assert.Equal("3000", NetLab.TryConnect(null, 0x7f000001, hostPort));
    }

    [Fact]
    public void Removing_an_env_removes_all_of_its_elements_and_leaves_the_others()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        int port = 20000 + Random.Shared.Next(20000);
        LabEnv a = lab.AddEnv(2, s => s with { Egress = EgressPolicy.None, Ports = [new PortMapping(port, 80, Protocol.Tcp)] });
        LabEnv b = lab.AddEnv(3, s => s with { Ports = [new PortMapping(port + 1, 80, Protocol.Udp)] });
        Assert.Equal(
            new[] { a.Id, b.Id }.Order(StringComparer.Ordinal),
            lab.Firewall.ListEnvElements().Select(e => e.SessionId));

        lab.Firewall.RemoveEnv(a.Spec);

        NftEnvElements left = Assert.Single(lab.Firewall.ListEnvElements());
        Assert.Equal(b.Id, left.SessionId);
        Assert.Equal(b.Ip, left.Address);
        Assert.True(left.HasChain && left.HasCounter);
        Assert.Equal([new PublishedElement(Protocol.Udp, port + 1, b.Ip, 80)], left.Published);
        Assert.Equal([b.Id], lab.Firewall.ReadDropCounters().Keys);

        // Removing again (already gone) is harmless, and gc by id finds nothing.
        lab.Firewall.RemoveEnv(a.Spec);
        Assert.False(lab.Firewall.RemoveEnv(a.Id));
        Assert.True(lab.Firewall.RemoveEnv(b.Id));
        Assert.Empty(lab.Firewall.ListEnvElements());
    }

    [Fact]
    public void Counters_read_over_netlink_match_nft_and_a_missing_table_reads_empty()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv closed = lab.AddEnv(2, s => s with { Egress = EgressPolicy.None });
        LabEnv peer = lab.AddEnv(3);
        lab.StartServer(peer, peer.Ip, 8080);
        Assert.Null(NetLab.TryConnect(closed, peer.Ip, 8080, timeoutMs: 700));

        IReadOnlyDictionary<string, long> viaNetlink = lab.Firewall.ReadCounters();
        IReadOnlyDictionary<string, long> viaNft = lab.Firewall.ReadCountersWithNft();
        Assert.Equal(viaNft.OrderBy(p => p.Key), viaNetlink.OrderBy(p => p.Key));
        Assert.Contains(NftRuleset.CounterName(closed.Id), viaNetlink.Keys);
        Assert.True(viaNetlink[NftRuleset.CounterName(closed.Id)] > 0);
        Assert.Empty(new NftFirewall(lab.Firewall.Config with { TableName = NetTestNames.NftTable() }).ReadCounters());
    }

    [Fact]
    public void Traffic_from_an_unregistered_address_on_the_bridge_is_dropped()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        LabEnv a = lab.AddEnv(2);
        LabEnv b = lab.AddEnv(3);
        lab.StartServer(b, b.Ip, 8080);
        lab.Firewall.RemoveEnv(a.Spec); // a is wired but has no firewall entry any more

        Assert.Null(NetLab.TryConnect(a, b.Ip, 8080, timeoutMs: 1000));
        Assert.True(lab.Firewall.ReadCounters()[NftRuleset.UnregisteredCounter] > 0);
    }

    [Fact]
    public void Per_env_batch_and_counter_read_cost_a_few_milliseconds()
    {
        using NetLab? lab = NetLab.Start(output);
        if (lab is null)
        {
            return;
        }

        var add = new List<double>();
        var remove = new List<double>();
        var read = new List<double>();
        var readNft = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            var spec = new EnvFirewallSpec("m" + i, lab.Subnet.Network + 20 + (uint)i)
            {
                Egress = EgressPolicy.Allow,
                Allow = [Rule("10.0.0.0/8:443"), Rule("192.0.2.0/24")],
                Ports = [new PortMapping(30000 + i, 80, Protocol.Tcp)],
            };
            var sw = Stopwatch.StartNew();
            lab.Firewall.AddEnv(spec);
            add.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            _ = lab.Firewall.ReadDropCounters();
            read.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            _ = lab.Firewall.ReadCountersWithNft();
            readNft.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            lab.Firewall.RemoveEnv(spec);
            remove.Add(sw.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"nft backend {new NftRunner().Backend}: per-env add batch median {Median(add):F1} ms; remove batch median {Median(remove):F1} ms; " +
            $"ReadDropCounters (nfnetlink) median {Median(read):F3} ms; nft -j list counters median {Median(readNft):F1} ms (n=10)");
        Assert.True(Median(read) < 5, $"ReadDropCounters median {Median(read)} ms");
    }

    private static EgressRule Rule(string text) =>
        EgressRule.TryParse(text, out EgressRule? rule, out string problem) ? rule! : throw new FormatException(problem);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
