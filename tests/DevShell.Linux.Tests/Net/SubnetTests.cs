using DevShell.Core.Networking;
using DevShell.Linux.Net;
using Xunit;

namespace DevShell.Linux.Tests.Net;

public sealed class SubnetTests
{
    // /proc/net/route of this VM (default via 192.0.2.1 on eth0) plus a VPN route over 10.213.0.0/16 and the
    // DevShell bridge's own connected route.
    private const string ProcNetRoute =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "tun0\t0000D50A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n" +
        "devshell0\t0000D60A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";

    [Fact]
    public void Proc_net_route_is_parsed_with_addresses_in_network_order()
    {
        IReadOnlyList<HostRoute> routes = HostRoutes.Parse(ProcNetRoute);

        Assert.Equal(
            [
                new HostRoute("eth0", Ipv4Cidr.Parse("0.0.0.0/0"), Ip("192.0.2.1")),
                new HostRoute("eth0", Ipv4Cidr.Parse("192.0.2.0/24"), 0),
                new HostRoute("tun0", Ipv4Cidr.Parse("10.213.0.0/16"), 0),
                new HostRoute("devshell0", Ipv4Cidr.Parse("10.214.0.0/16"), 0),
            ],
            routes);
    }

    [Fact]
    public void Default_route_interfaces_are_those_of_the_parsed_routes_with_prefix_length_zero()
    {
        string text = ProcNetRoute
            + "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
            + "bad0\t00000000\tzz\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
            + "short0\t00000000\t00000000\n"
            + "odd0  00000000  00000000  0001 0 0 0  00000000 0 0 0\n";

        var expected = HostRoutes.Parse(text).Where(r => r.Destination.PrefixLength == 0).Select(r => r.Interface).ToList();

        Assert.Equal(["eth0", "wg0", "odd0"], expected);
        Assert.Equal(expected, HostRoutes.DefaultRouteInterfaces(text));
        Assert.Empty(HostRoutes.DefaultRouteInterfaces(""));
    }

    [Fact]
    public void Pick_skips_candidates_that_overlap_a_route_but_not_the_default_route_or_our_own_bridge()
    {
        Assert.Equal(Ipv4Cidr.Parse("10.214.0.0/16"), SubnetPicker.Pick(HostRoutes.Parse(ProcNetRoute), ownBridge: "devshell0"));
        Assert.Equal(Ipv4Cidr.Parse("10.215.0.0/16"), SubnetPicker.Pick(HostRoutes.Parse(ProcNetRoute), ownBridge: "other0"));
    }

    [Fact]
    public void A_wide_route_covering_every_candidate_leaves_none()
    {
        var routes = new[] { new HostRoute("tun0", Ipv4Cidr.Parse("0.0.0.0/1"), 0), new HostRoute("tun1", Ipv4Cidr.Parse("128.0.0.0/1"), 0) };

        Assert.Null(SubnetPicker.Pick(routes));
    }

    [Fact]
    public void A_narrow_route_inside_a_candidate_overlaps_it()
    {
        var routes = new[] { new HostRoute("wg0", Ipv4Cidr.Parse("10.213.7.0/24"), 0) };

        Assert.Equal(Ipv4Cidr.Parse("10.214.0.0/16"), SubnetPicker.Pick(routes));
    }

    [Fact]
    public void PickSubnet_reads_routes_under_a_proc_root()
    {
        string root = Directory.CreateTempSubdirectory("devshell-proc-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net"));
            File.WriteAllText(Path.Combine(root, "net", "route"), ProcNetRoute);

            Assert.Equal(Ipv4Cidr.Parse("10.214.0.0/16"), BridgeNetwork.PickSubnet(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Malformed_route_lines_are_skipped()
    {
        Assert.Empty(HostRoutes.Parse("Iface\tDestination\n\neth0\tzz\t00\n"));
    }

    private static uint Ip(string text) => Ipv4.TryParse(text, out uint ip) ? ip : throw new FormatException(text);
}
