using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using Xunit;

namespace DevShell.Linux.Tests.Net;

/// <summary>Parsing of real <c>nft -j</c> output (nftables 1.0.6, captured on Debian 12).</summary>
public sealed class NftListingTests
{
    // nft -j list table inet fixture_t: two envs, one with commented elements (as DevShell writes them), one
    // without comments (written by an older DevShell or by hand), and an orphan chain.
    private const string TableJson = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "fixture_t", "handle": 25}}, {"counter": {"family": "inet", "name": "unregistered-drop", "table": "fixture_t", "handle": 1, "packets": 0, "bytes": 0}}, {"counter": {"family": "inet", "name": "inbound-drop", "table": "fixture_t", "handle": 2, "packets": 0, "bytes": 0}}, {"counter": {"family": "inet", "name": "env-1a2b3c4d-drop", "table": "fixture_t", "handle": 7, "packets": 0, "bytes": 0}}, {"counter": {"family": "inet", "name": "env-ff00-drop", "table": "fixture_t", "handle": 10, "packets": 0, "bytes": 0}}, {"map": {"family": "inet", "name": "egress", "table": "fixture_t", "type": "ipv4_addr", "handle": 3, "map": "verdict", "elem": [[{"elem": {"val": "10.213.0.2", "comment": "1a2b3c4d"}}, {"jump": {"target": "env-1a2b3c4d"}}], ["10.213.0.3", {"jump": {"target": "env-ff00"}}]]}}, {"map": {"family": "inet", "name": "published", "table": "fixture_t", "type": ["inet_proto", "inet_service"], "handle": 4, "map": "ipv4_addr . inet_service", "elem": [[{"concat": ["tcp", 8080]}, {"concat": ["10.213.0.3", 80]}], [{"elem": {"val": {"concat": ["tcp", 3000]}, "comment": "1a2b3c4d"}}, {"concat": ["10.213.0.2", 3000]}], [{"elem": {"val": {"concat": ["udp", 5353]}, "comment": "1a2b3c4d"}}, {"concat": ["10.213.0.2", 53]}]]}}, {"chain": {"family": "inet", "table": "fixture_t", "name": "forward", "handle": 5, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}}, {"chain": {"family": "inet", "table": "fixture_t", "name": "env-1a2b3c4d", "handle": 8}}, {"chain": {"family": "inet", "table": "fixture_t", "name": "env-ff00", "handle": 11}}, {"chain": {"family": "inet", "table": "fixture_t", "name": "env-orphan", "handle": 13}}, {"rule": {"family": "inet", "table": "fixture_t", "chain": "forward", "handle": 6, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "dsfix0"}}, {"vmap": {"key": {"payload": {"protocol": "ip", "field": "saddr"}}, "data": "@egress"}}]}}, {"rule": {"family": "inet", "table": "fixture_t", "chain": "env-1a2b3c4d", "handle": 9, "expr": [{"counter": "env-1a2b3c4d-drop"}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "fixture_t", "chain": "env-ff00", "handle": 12, "expr": [{"accept": null}]}}]}
        """;

    // nft -j list counters table inet fixture_t (packet numbers edited in).
    private const string CountersJson = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"counter": {"family": "inet", "name": "unregistered-drop", "table": "fixture_t", "handle": 1, "packets": 4, "bytes": 0}}, {"counter": {"family": "inet", "name": "inbound-drop", "table": "fixture_t", "handle": 2, "packets": 0, "bytes": 0}}, {"counter": {"family": "inet", "name": "env-1a2b3c4d-drop", "table": "fixture_t", "handle": 7, "packets": 17, "bytes": 1020}}, {"counter": {"family": "inet", "name": "env-ff00-drop", "table": "fixture_t", "handle": 10, "packets": 0, "bytes": 0}}]}
        """;

    [Fact]
    public void Env_elements_are_grouped_by_session_id()
    {
        IReadOnlyList<NftEnvElements> envs = NftListing.ParseEnvElements(TableJson);

        Assert.Equal(["1a2b3c4d", "ff00", "orphan"], envs.Select(e => e.SessionId));
        NftEnvElements a = envs[0];
        Assert.Equal(Ip("10.213.0.2"), a.Address);
        Assert.True(a.HasChain);
        Assert.True(a.HasCounter);
        Assert.Equal(
            [new PublishedElement(Protocol.Tcp, 3000, Ip("10.213.0.2"), 3000), new PublishedElement(Protocol.Udp, 5353, Ip("10.213.0.2"), 53)],
            a.Published);
    }

    [Fact]
    public void Uncommented_published_elements_are_attributed_by_target_address()
    {
        NftEnvElements b = NftListing.ParseEnvElements(TableJson).Single(e => e.SessionId == "ff00");

        Assert.Equal(Ip("10.213.0.3"), b.Address);
        Assert.Equal([new PublishedElement(Protocol.Tcp, 8080, Ip("10.213.0.3"), 80)], b.Published);
    }

    [Fact]
    public void A_chain_without_map_element_or_counter_is_still_listed_for_gc()
    {
        NftEnvElements orphan = NftListing.ParseEnvElements(TableJson).Single(e => e.SessionId == "orphan");

        Assert.Equal(new NftEnvElements("orphan", null, true, false, []), orphan with { Published = [] });
        Assert.Empty(orphan.Published);
    }

    [Fact]
    public void Counters_are_read_by_name_and_drop_counters_by_session()
    {
        IReadOnlyDictionary<string, long> counters = NftListing.ParseCounters(CountersJson);

        Assert.Equal(17, counters["env-1a2b3c4d-drop"]);
        Assert.Equal(4, counters[NftRuleset.UnregisteredCounter]);
        Assert.Equal(0, counters[NftRuleset.InboundCounter]);
        var bySession = NftListing.DropCountersBySession(counters);
        Assert.Equal(new Dictionary<string, long> { ["1a2b3c4d"] = 17, ["ff00"] = 0 }, bySession);
    }

    [Fact]
    public void Table_names_come_from_a_tables_listing()
    {
        const string json = """{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "devshell", "handle": 3}}, {"table": {"family": "inet", "name": "filter", "handle": 4}}]}""";
        Assert.Equal(["devshell", "filter"], NftListing.ParseTableNames(json));
    }

    [Fact]
    public void Output_without_an_nftables_array_is_rejected()
    {
        Assert.Throws<FormatException>(() => NftListing.ParseEnvElements("{}"));
    }

    private static uint Ip(string text) => Ipv4.TryParse(text, out uint ip) ? ip : throw new FormatException(text);
}
