using DevShell.Linux.Interop;
using DevShell.Linux.Net;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>The rtnetlink client against the real kernel, with test-only names.</summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NetlinkTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetnsManager _netns = new(NetTestNames.NetnsDirectory());
    private readonly List<string> _links = [];

    public void Dispose()
    {
        using (var netlink = Netlink.Open())
        {
            foreach (string link in _links)
            {
                netlink.TryDeleteLink(link);
            }
        }

        foreach (string name in _netns.List())
        {
            _netns.Delete(name);
        }

        _netns.ReleaseDirectory();
        string parent = Path.GetDirectoryName(_netns.Directory)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent);
        }
    }

    [Fact]
    public void Bridge_is_created_found_listed_and_deleted()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string name = Track(NetTestNames.Bridge());
        using var netlink = Netlink.Open();

        LinkInfo created = netlink.CreateBridge(name);

        Assert.Equal("bridge", created.Kind);
        Assert.False(created.IsUp);
        LinkInfo? found = netlink.TryGetLink(name);
        Assert.NotNull(found);
        Assert.Equal(created, found with { Stats = created.Stats });
        Assert.Contains(netlink.ListLinks(), l => l.Name == name && l.Index == created.Index);
        netlink.SetUp(name);
        Assert.True(netlink.TryGetLink(name)!.IsUp);
        Assert.True(netlink.TryDeleteLink(name));
        Assert.Null(netlink.TryGetLink(name));
        Assert.False(netlink.TryDeleteLink(name));
    }

    [Fact]
    public void Veth_peer_is_created_inside_the_target_namespace_as_eth0_and_host_end_joins_the_bridge()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string bridge = Track(NetTestNames.Bridge());
        string host = Track("ds-t" + NetTestNames.Hex());
        string ns = _netns.Create("nl" + NetTestNames.Hex());
        using var netlink = Netlink.Open();
        LinkInfo br = netlink.CreateBridge(bridge);

        LinkInfo veth = netlink.CreateVethPair(host, "eth0", ns, master: bridge);

        Assert.Equal("veth", veth.Kind);
        Assert.Equal(br.Index, veth.MasterIndex);
        Assert.NotEqual("veth", netlink.TryGetLink("eth0")?.Kind); // the peer is not on the host
        using var inside = Netlink.OpenInNetns(ns);
        LinkInfo peer = inside.TryGetLink("eth0")!;
        Assert.Equal("veth", peer.Kind);
        netlink.SetBridgePortIsolated(host, true);
        Assert.Contains("isolated on", RunOk("ip", "-d", "link", "show", host), StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_an_existing_veth_fails_naming_the_veth_and_errno()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string host = Track("ds-t" + NetTestNames.Hex());
        string ns = _netns.Create("nl" + NetTestNames.Hex());
        string ns2 = _netns.Create("nl" + NetTestNames.Hex());
        using var netlink = Netlink.Open();
        netlink.CreateVethPair(host, "eth0", ns);

        var e = Assert.Throws<SyscallException>(() => netlink.CreateVethPair(host, "eth0", ns2));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal($"creating veth {host}: File exists (EEXIST)", e.Message);
    }

    [Fact]
    public void Operations_on_a_missing_interface_name_it()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        using var netlink = Netlink.Open();
        var e = Assert.Throws<SyscallException>(() => netlink.AddIPv4Address("dsnothere0", 0x0a000001, 24));
        Assert.Equal("adding address 10.0.0.1/24 to dsnothere0: no interface named dsnothere0: No such device (ENODEV)", e.Message);
        Assert.Throws<ArgumentException>(() => netlink.TryGetLink("a-name-longer-than-15"));
    }

    [Fact]
    public void Kernel_reasons_from_extended_acks_are_in_the_message()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string ns = _netns.Create("nl" + NetTestNames.Hex());
        using var inside = Netlink.OpenInNetns(ns);
        var e = Assert.Throws<SyscallException>(() => inside.AddDefaultRoute(0xc0000201, "lo"));
        output.WriteLine(e.Message);
        Assert.StartsWith("adding default route via 192.0.2.1 dev lo (kernel: ", e.Message, StringComparison.Ordinal);
    }

    private string Track(string link)
    {
        _links.Add(link);
        return link;
    }

    private static string RunOk(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000));
        return text;
    }
}
