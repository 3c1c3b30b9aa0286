using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Linux.Net.Names;
using DevShell.Linux.Net.Nft;
using Xunit;

namespace DevShell.Linux.Tests.Net;

public sealed class EnvRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devshell-registry-").FullName;

    private string PathOf => Path.Combine(_dir, "envs");

    private static uint Ip(string text) => Ipv4.TryParse(text, out uint a) ? a : throw new ArgumentException(text);

    private static Profile Profile(string name, string policy = "all", string peers = "shared", string[]? allow = null, string[]? ports = null) => new()
    {
        Name = name,
        Network = new NetworkSpec
        {
            Mode = "bridge",
            Egress = new EgressSpec { Policy = policy, Peers = peers, Allow = [.. allow ?? []] },
            Ports = [.. ports ?? []],
        },
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Entries_round_trip_through_the_file_in_start_order()
    {
        var api = EnvEntry.From("aaaa0001", Ip("10.213.0.9"), Profile("api", "allow", "isolated", ["db.devshell:5432", "10.0.0.0/8:443/udp"], ["8080:80", "5353:53/udp"]));
        var db = EnvEntry.From("aaaa0002", Ip("10.213.0.2"), Profile("db"));
        using (var registry = EnvRegistry.Open(PathOf))
        {
            registry.Add(api);
            registry.Add(db);
            registry.Save();
        }

        using var again = EnvRegistry.Open(PathOf);
        Assert.Equal(["aaaa0001", "aaaa0002"], again.Entries.Select(e => e.SessionId));
        EnvEntry read = again.Entries[0];
        Assert.Equal((api.SessionId, api.Address, api.Profile, api.Egress, api.Peers), (read.SessionId, read.Address, read.Profile, read.Egress, read.Peers));
        Assert.Equal(api.Allow, read.Allow);
        Assert.Equal(api.Ports, read.Ports);
        Assert.Equal(["aaaa0001", "aaaa0002"], EnvRegistry.ReadSessionIds(PathOf));
    }

    [Fact]
    public void The_newest_env_of_a_profile_is_the_peer_address_and_removal_falls_back_to_the_older_one()
    {
        using var registry = EnvRegistry.Open(PathOf);
        registry.Add(EnvEntry.From("aaaa0001", Ip("10.213.0.2"), Profile("db")));
        registry.Add(EnvEntry.From("aaaa0002", Ip("10.213.0.3"), Profile("db")));
        registry.Add(EnvEntry.From("aaaa0003", Ip("10.213.0.4"), Profile("api")));

        Assert.Equal(Ip("10.213.0.3"), registry.PeerAddresses()["db"]);
        Assert.False(registry.PeerAddresses(except: "aaaa0003").ContainsKey("api"));
        Assert.True(registry.Remove("aaaa0002"));
        Assert.Equal(Ip("10.213.0.2"), registry.PeerAddresses()["db"]);
        Assert.False(registry.Remove("aaaa0002"));
    }

    [Fact]
    public void The_firewall_spec_comes_from_the_profile_as_launched_with_peers_resolved()
    {
        var entry = EnvEntry.From("aaaa0001", Ip("10.213.0.9"), Profile("api", "allow", "isolated", ["db.devshell:5432", "cache.devshell"], ["8080:80", "5353:53/udp"]));
        var peers = new Dictionary<string, uint> { ["db"] = Ip("10.213.0.2") };

        EnvFirewallSpec spec = entry.FirewallSpec(peers);

        Assert.Equal(EgressPolicy.Allow, spec.Egress);
        Assert.Equal(PeerPolicy.Isolated, spec.Peers);
        Assert.Equal(["db", "cache"], entry.AllowedPeers());
        Assert.Equal(2, spec.Allow.Count);
        Assert.Equal([new PortMapping(8080, 80, Protocol.Tcp), new PortMapping(5353, 53, Protocol.Udp)], spec.Ports);
        // Only the running peer gets a rule; cache is not running.
        var rules = NftRuleset.PolicyRules(new NftTableConfig("t", "br0", Ipv4Cidr.Parse("10.213.0.0/16")), spec);
        Assert.Contains(rules, r => r.Contains("ip daddr 10.213.0.2 tcp dport 5432 accept", StringComparison.Ordinal));
        Assert.Equal(2, rules.Count); // the db rule, then the counted drop
    }

    [Fact]
    public void Malformed_lines_are_skipped_and_a_later_line_of_the_same_session_wins()
    {
        File.WriteAllText(PathOf,
            "# header\n" +
            "aaaa0001\t10.213.0.2\tdb\tall\tshared\t-\t-\n" +
            "garbage line\n" +
            "aaaa0002\tnot-an-ip\tapi\tall\tshared\t-\t-\n" +
            "aaaa0001\t10.213.0.5\tdb\tnone\tshared\t-\t8080:80\n");

        var entries = EnvRegistry.Parse(File.ReadAllText(PathOf));

        var only = Assert.Single(entries);
        Assert.Equal((Ip("10.213.0.5"), "none"), (only.Address, only.Egress));
        Assert.Equal(["8080:80"], only.Ports);
    }

    [Fact]
    public async Task A_second_opener_waits_for_the_first_to_release_the_lock()
    {
        var first = EnvRegistry.Open(PathOf);
        first.Add(EnvEntry.From("aaaa0001", Ip("10.213.0.2"), Profile("db")));
        var second = Task.Run(() =>
        {
            using var r = EnvRegistry.Open(PathOf);
            return r.Entries.Select(e => e.SessionId).ToList();
        });

        await Task.Delay(200);
        Assert.False(second.IsCompleted); // blocked while the first holds it
        first.Save();
        first.Dispose();
        Assert.Equal(["aaaa0001"], await second.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Values_that_would_break_the_line_format_are_refused()
    {
        var entry = new EnvEntry("aaaa0001", Ip("10.213.0.2"), "db", "all", "shared", ["a b"], []);

        Assert.Throws<ArgumentException>(() => EnvRegistry.Render([entry]));
    }
}
