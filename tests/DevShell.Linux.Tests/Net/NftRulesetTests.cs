using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using Xunit;

namespace DevShell.Linux.Tests.Net;

public sealed class NftRulesetTests
{
    private static readonly NftTableConfig Config = new("devshell", "devshell0", Ipv4Cidr.Parse("10.213.0.0/16"));

    [Fact]
    public void Setup_rewrites_base_chains_and_keeps_env_objects()
    {
        string text = NftRuleset.Setup(Config);

        Assert.Equal(
            $$"""
            add table inet devshell
            add counter inet devshell unregistered-drop
            add counter inet devshell inbound-drop
            add map inet devshell egress { type ipv4_addr : verdict; }
            add map inet devshell published { type inet_proto . inet_service : ipv4_addr . inet_service; }
            add chain inet devshell forward { type filter hook forward priority filter; policy accept; }
            add chain inet devshell input { type filter hook input priority filter; policy accept; }
            add chain inet devshell nat-output { type nat hook output priority -100; policy accept; }
            add chain inet devshell nat-postrouting { type nat hook postrouting priority srcnat; policy accept; }
            flush chain inet devshell forward
            flush chain inet devshell input
            flush chain inet devshell nat-output
            flush chain inet devshell nat-postrouting
            add rule inet devshell forward ct state established,related accept
            add rule inet devshell forward iifname "devshell0" ip saddr vmap @egress
            add rule inet devshell forward iifname "devshell0" counter name "unregistered-drop" drop
            add rule inet devshell forward oifname "devshell0" counter name "inbound-drop" drop
            add rule inet devshell input iifname "devshell0" ct state established,related accept
            add rule inet devshell input iifname "devshell0" ip saddr vmap @egress
            add rule inet devshell input iifname "devshell0" counter name "unregistered-drop" drop
            add rule inet devshell nat-output ip daddr 127.0.0.1 meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @published
            add rule inet devshell nat-postrouting ip saddr 10.213.0.0/16 oifname != "devshell0" masquerade
            add rule inet devshell nat-postrouting ip saddr 127.0.0.0/8 oifname "devshell0" masquerade
            add chain inet devshell {{NftRuleset.MarkerChain(Config)}}

            """,
            text);
        Assert.DoesNotContain("flush table", text, StringComparison.Ordinal);
        Assert.DoesNotContain("flush map", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_base_chain_marker_names_the_configuration_it_was_written_for()
    {
        string marker = NftRuleset.MarkerChain(Config);

        Assert.Matches("^base-[0-9a-f]{8}$", marker);
        Assert.Equal(marker, NftRuleset.MarkerChain(Config with { }));
        Assert.NotEqual(marker, NftRuleset.MarkerChain(Config with { Subnet = Ipv4Cidr.Parse("10.214.0.0/16") }));
        Assert.NotEqual(marker, NftRuleset.MarkerChain(Config with { BridgeName = "devshell1" }));
        Assert.NotEqual(marker, NftRuleset.MarkerChain(Config with { TableName = "devshell_other" }));
    }

    [Fact]
    public void Egress_all_with_shared_peers_accepts_everything()
    {
        Assert.Equal(["accept"], NftRuleset.PolicyRules(Config, Env()));
    }

    [Fact]
    public void Egress_all_with_isolated_peers_drops_and_counts_traffic_to_other_envs()
    {
        Assert.Equal(
            ["oifname \"devshell0\" counter name \"env-1a2b-drop\" drop", "accept"],
            NftRuleset.PolicyRules(Config, Env() with { Peers = PeerPolicy.Isolated }));
    }

    [Fact]
    public void Egress_none_drops_and_counts_everything()
    {
        Assert.Equal(
            ["counter name \"env-1a2b-drop\" drop"],
            NftRuleset.PolicyRules(Config, Env() with { Egress = EgressPolicy.None, Peers = PeerPolicy.Shared }));
    }

    [Fact]
    public void Egress_allow_accepts_listed_destinations_then_drops()
    {
        var env = Env() with
        {
            Egress = EgressPolicy.Allow,
            Peers = PeerPolicy.Isolated,
            Allow = [Rule("10.0.0.0/8:443"), Rule("192.0.2.7:53/udp"), Rule("198.51.100.0/24"), Rule("orders-db.devshell:5432"), Rule("cache.devshell")],
            PeerAddresses = new Dictionary<string, uint> { ["orders-db"] = Ip("10.213.0.9") },
        };

        Assert.Equal(
            [
                "ip daddr 10.0.0.0/8 tcp dport 443 accept",
                "ip daddr 192.0.2.7/32 udp dport 53 accept",
                "ip daddr 198.51.100.0/24 accept",
                "ip daddr 10.213.0.9 tcp dport 5432 accept",
                "counter name \"env-1a2b-drop\" drop",
            ],
            NftRuleset.PolicyRules(Config, env));
    }

    [Fact]
    public void Egress_allow_with_shared_peers_accepts_other_envs_first()
    {
        var env = Env() with { Egress = EgressPolicy.Allow, Allow = [Rule("10.0.0.0/8:443")] };

        Assert.Equal(
            ["oifname \"devshell0\" accept", "ip daddr 10.0.0.0/8 tcp dport 443 accept", "counter name \"env-1a2b-drop\" drop"],
            NftRuleset.PolicyRules(Config, env));
    }

    [Fact]
    public void AddEnv_is_one_batch_with_counter_chain_map_element_and_ports()
    {
        var env = Env() with { Egress = EgressPolicy.None, Ports = [new PortMapping(3000, 3000, Protocol.Tcp), new PortMapping(5353, 53, Protocol.Udp)] };

        Assert.Equal(
            """
            add counter inet devshell env-1a2b-drop
            add chain inet devshell env-1a2b
            flush chain inet devshell env-1a2b
            add rule inet devshell env-1a2b counter name "env-1a2b-drop" drop
            add element inet devshell egress { 10.213.0.2 comment "1a2b" : jump env-1a2b }
            add element inet devshell published { tcp . 3000 comment "1a2b" : 10.213.0.2 . 3000 }
            add element inet devshell published { udp . 5353 comment "1a2b" : 10.213.0.2 . 53 }

            """,
            NftRuleset.AddEnv(Config, env));
    }

    [Fact]
    public void RemoveEnv_adds_each_object_before_deleting_it_so_it_works_when_parts_are_gone()
    {
        var env = Env() with { Ports = [new PortMapping(3000, 80, Protocol.Tcp)] };

        Assert.Equal(
            """
            add counter inet devshell env-1a2b-drop
            add chain inet devshell env-1a2b
            add element inet devshell egress { 10.213.0.2 : jump env-1a2b }
            delete element inet devshell egress { 10.213.0.2 }
            add element inet devshell published { tcp . 3000 : 10.213.0.2 . 80 }
            delete element inet devshell published { tcp . 3000 }
            flush chain inet devshell env-1a2b
            delete chain inet devshell env-1a2b
            delete counter inet devshell env-1a2b-drop

            """,
            NftRuleset.RemoveEnv(Config, env));
    }

    [Fact]
    public void RemoveElements_deletes_only_what_a_listing_found()
    {
        var found = new NftEnvElements("1a2b", null, HasChain: true, HasCounter: false, []);

        Assert.Equal(
            "flush chain inet devshell env-1a2b\ndelete chain inet devshell env-1a2b\n",
            NftRuleset.RemoveElements(Config, found));
    }

    [Fact]
    public void Down_deletes_the_table_even_if_absent()
    {
        Assert.Equal("add table inet devshell\ndelete table inet devshell\n", NftRuleset.Down(Config));
    }

    [Fact]
    public void Unsafe_names_never_reach_nft()
    {
        Assert.Throws<ArgumentException>(() => NftRuleset.AddEnv(Config, Env() with { SessionId = "a\"; flush ruleset" }));
        Assert.Throws<ArgumentException>(() => NftRuleset.Setup(Config with { TableName = "x y" }));
        Assert.Throws<ArgumentException>(() => NftRuleset.Setup(Config with { BridgeName = "br\"0" }));
    }

    private static EnvFirewallSpec Env() => new("1a2b", Ip("10.213.0.2"));

    private static uint Ip(string text) => Ipv4.TryParse(text, out uint ip) ? ip : throw new FormatException(text);

    private static EgressRule Rule(string text) =>
        EgressRule.TryParse(text, out EgressRule? rule, out string problem) ? rule! : throw new FormatException(problem);
}
