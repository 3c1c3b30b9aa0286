using DevShell.Core.Networking;

namespace DevShell.Core.Tests.Networking;

public class NetworkRuleTests
{
    [Theory]
    [InlineData("10.77.0.1", 0x0A4D0001u)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    public void Parses_dotted_quads(string text, uint expected)
    {
        Assert.True(Ipv4.TryParse(text, out var address));
        Assert.Equal(expected, address);
        Assert.Equal(text, Ipv4.Format(address));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.1.5")]
    [InlineData("010.0.0.1")]
    [InlineData("10.0.0.256")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("10..0.1")]
    [InlineData("10.0.0.1 ")]
    [InlineData("::1")]
    public void Rejects_lenient_address_forms(string text) => Assert.False(Ipv4.TryParse(text, out _));

    [Fact]
    public void Cidr_knows_its_network_gateway_and_broadcast()
    {
        var cidr = Ipv4Cidr.Parse("10.77.0.0/24");
        Assert.Equal("10.77.0.0/24", cidr.ToString());
        Assert.Equal("10.77.0.1", Ipv4.Format(cidr.Gateway));
        Assert.Equal("10.77.0.255", Ipv4.Format(cidr.Broadcast));
        Assert.True(cidr.Contains(0x0A4D00FEu));
        Assert.False(cidr.Contains(0x0A4E0001u));
        Assert.Equal("0.0.0.0/0", Ipv4Cidr.Parse("0.0.0.0/0").ToString());
        Assert.Equal("192.168.1.7/32", Ipv4Cidr.Parse("192.168.1.7").ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/33", "has prefix length 33; IPv4 allows 0..32")]
    [InlineData("10.0.0.5/24", "has host bits set (did you mean 10.0.0.0/24?)")]
    [InlineData("10.0.0.0/", "is not an IPv4 CIDR (use e.g. 10.0.0.0/8)")]
    [InlineData("10.0.0.0/08", "is not an IPv4 CIDR (use e.g. 10.0.0.0/8)")]
    [InlineData("example.com", "is not an IPv4 CIDR (use e.g. 10.0.0.0/8)")]
    public void Cidr_rejects_with_a_reason(string text, string problem)
    {
        Assert.False(Ipv4Cidr.TryParse(text, out _, out var actual));
        Assert.Equal(problem, actual);
    }

    [Theory]
    [InlineData("3000:3000", 3000, 3000, Protocol.Tcp, "3000:3000")]
    [InlineData("5353:53/udp", 5353, 53, Protocol.Udp, "5353:53/udp")]
    [InlineData("8080:80/tcp", 8080, 80, Protocol.Tcp, "8080:80")]
    [InlineData("65535:1", 65535, 1, Protocol.Tcp, "65535:1")]
    public void Parses_port_mappings(string text, int host, int env, Protocol protocol, string canonical)
    {
        Assert.True(PortMapping.TryParse(text, out var mapping, out _));
        Assert.Equal(new PortMapping(host, env, protocol), mapping);
        Assert.Equal(canonical, mapping.ToString());
    }

    [Theory]
    [InlineData("3000", "is not a port mapping (use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000)")]
    [InlineData("0:80", "has port 0; ports must be 1..65535")]
    [InlineData("70000:80", "has port 70000; ports must be 1..65535")]
    [InlineData("80:80/icmp", "is not a port mapping (use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000)")]
    [InlineData("-1:80", "is not a port mapping (use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000)")]
    [InlineData("127.0.0.1:80:80", "is not a port mapping (use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000)")]
    public void Port_mapping_rejects_with_a_reason(string text, string problem)
    {
        Assert.False(PortMapping.TryParse(text, out _, out var actual));
        Assert.Equal(problem, actual);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("10.0.0.0/8:443", "10.0.0.0/8:443")]
    [InlineData("10.1.2.3:53/udp", "10.1.2.3/32:53/udp")]
    [InlineData("0.0.0.0/0:443/tcp", "0.0.0.0/0:443")]
    [InlineData("orders-db.devshell:5432", "orders-db.devshell:5432")]
    [InlineData("orders-db.devshell", "orders-db.devshell")]
    public void Parses_egress_rules(string text, string canonical)
    {
        Assert.True(EgressRule.TryParse(text, out var rule, out var problem), problem);
        Assert.Equal(canonical, rule!.ToString());
    }

    [Fact]
    public void Egress_rule_for_a_peer_names_the_profile()
    {
        Assert.True(EgressRule.TryParse("orders-db.devshell:5432", out var rule, out _));
        Assert.Equal("orders-db", rule!.Peer);
        Assert.Equal(5432, rule.Port);
        Assert.Null(rule.Network);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "has prefix length 33; IPv4 allows 0..32")]
    [InlineData("10.0.0.5/24:443", "has host bits set (did you mean 10.0.0.0/24?)")]
    [InlineData("10.0.0.0/8:0", "has port 0; ports must be 1..65535")]
    [InlineData("10.0.0.0/8:99999", "has port 99999; ports must be 1..65535")]
    [InlineData("10.0.0.0/8:443/icmp", "is not an egress rule (use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443)")]
    [InlineData("example.com:443", "is not an egress rule (use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443)")]
    [InlineData("Orders.devshell", "names peer \"Orders\", which is not a profile name (use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443)")]
    [InlineData("", "is not an egress rule (use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443)")]
    public void Egress_rule_rejects_with_a_reason(string text, string problem)
    {
        Assert.False(EgressRule.TryParse(text, out _, out var actual));
        Assert.Equal(problem, actual);
    }
}
