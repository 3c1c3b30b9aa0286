using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// "NAME.devshell" allow rules follow the peer's life: an env started before its peer gets the peer's address when
/// the peer starts and loses it when the peer stops (so a later env that reuses the address is not let in); names
/// of running envs are in the shared hosts file, and a teardown leaves the others' entries alone.
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NetworkPartPeersTests(ITestOutputHelper output)
{
    [Fact]
    public void An_allow_rule_naming_a_peer_gets_its_address_when_it_starts_and_loses_it_when_it_stops()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);
        var client = lab.Start(PartLab.Profile("client", n =>
        {
            n.Egress.Policy = "allow";
            n.Egress.Peers = "isolated";
            n.Egress.Allow = ["db.devshell:5432"];
        }));
        Assert.DoesNotContain("dport 5432", Chain(lab, client.SessionId), StringComparison.Ordinal);

        var db = lab.Start(PartLab.Profile("db"));
        string rules = Chain(lab, client.SessionId);
        output.WriteLine(rules);
        Assert.Contains($"ip daddr {db.Ip} tcp dport 5432 accept", rules, StringComparison.Ordinal);
        string hosts = File.ReadAllText(lab.Names.HostsFile);
        Assert.Contains($"{client.Ip}\tclient.devshell {client.SessionId}.devshell", hosts, StringComparison.Ordinal);
        Assert.Contains($"{db.Ip}\tdb.devshell {db.SessionId}.devshell", hosts, StringComparison.Ordinal);

        Assert.True(lab.Stop(db.SessionId));
        Assert.DoesNotContain("dport 5432", Chain(lab, client.SessionId), StringComparison.Ordinal);
        hosts = File.ReadAllText(lab.Names.HostsFile);
        Assert.DoesNotContain("db.devshell", hosts, StringComparison.Ordinal);
        Assert.Contains("client.devshell", hosts, StringComparison.Ordinal);

        // The newest env of a profile is its name; when it stops, the older one's address comes back.
        var db1 = lab.Start(PartLab.Profile("db"));
        var db2 = lab.Start(PartLab.Profile("db"));
        Assert.Contains($"ip daddr {db2.Ip} tcp dport 5432 accept", Chain(lab, client.SessionId), StringComparison.Ordinal);
        lab.Stop(db2.SessionId);
        Assert.Contains($"ip daddr {db1.Ip} tcp dport 5432 accept", Chain(lab, client.SessionId), StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_that_never_had_a_bridged_network_tears_down_without_touching_nftables()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);
        var env = lab.Start(PartLab.Profile("web"));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(lab.Part.Teardown("0123abcd")); // e.g. a network-none env, with bridged envs on the host
        output.WriteLine($"teardown of a non-bridged session: {sw.Elapsed.TotalMilliseconds:F2} ms");
        Assert.Contains(env.SessionId, File.ReadAllText(lab.Names.HostsFile), StringComparison.Ordinal);
        Assert.Contains(lab.Part.Firewall.ListEnvElements(), e => e.SessionId == env.SessionId);
    }

    private static string Chain(PartLab lab, string sessionId) =>
        new NftRunner(NftBackend.Library).Run(["list", "chain", "inet", lab.Names.Table, NftRuleset.ChainName(sessionId)], null, "listing");
}
