using DevShell.Linux.Launch;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Names;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// What a bridged env leaves when its network part is torn down (the veth deletion runs on its own thread while the
/// rest goes: none of it may outlive Teardown), and a published host port that another env holds.
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NetworkPartTeardownTests(ITestOutputHelper output)
{
    [Fact]
    public void Nothing_of_a_bridged_env_remains_when_its_teardown_returns()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);
        var other = lab.Start(PartLab.Profile("other"));
        for (int i = 0; i < 5; i++)
        {
            var env = lab.Start(PartLab.Profile("gone", n => n.Ports = ["18931:80", "18931:53/udp"]));
            string veth = BridgeNetwork.HostInterfaceName(env.SessionId);
            using (var netlink = Netlink.Open())
            {
                Assert.NotNull(netlink.TryGetLink(veth));
            }

            Assert.True(lab.Stop(env.SessionId));

            using (var netlink = Netlink.Open())
            {
                Assert.Null(netlink.TryGetLink(veth));
            }

            Assert.False(File.Exists(Path.Combine(lab.Names.NetnsDir, env.SessionId)));
            Assert.DoesNotContain(lab.Part.Firewall.ListEnvElements(), e => e.SessionId == env.SessionId);
            Assert.DoesNotContain(env.SessionId, File.ReadAllText(lab.Names.HostsFile), StringComparison.Ordinal);
            Assert.DoesNotContain(env.SessionId, EnvRegistry.ReadSessionIds(lab.Names.Registry));
            Assert.DoesNotContain(lab.Store.ListLeases(), l => l.SessionId == env.SessionId);
        }

        // The other env kept everything.
        using (var netlink = Netlink.Open())
        {
            Assert.NotNull(netlink.TryGetLink(BridgeNetwork.HostInterfaceName(other.SessionId)));
        }

        Assert.Contains(lab.Part.Firewall.ListEnvElements(), e => e.SessionId == other.SessionId);
    }

    [Fact]
    public void A_teardown_leaves_the_lease_to_the_ended_record_except_for_an_orphan_gc_found()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);

        // The launcher's path: Teardown, then the journal's ended record releases the lease in the same store write.
        var ended = lab.Start(PartLab.Profile("ended"));
        Assert.True(lab.Part.Teardown(ended.SessionId));
        Assert.Contains(lab.Store.ListLeases(), l => l.SessionId == ended.SessionId);
        lab.Store.UpdateSession(ended.SessionId, s => s.State = Core.Sessions.SessionState.Exited, releaseIp: true);
        lab.Forget(ended.SessionId);
        Assert.DoesNotContain(lab.Store.ListLeases(), l => l.SessionId == ended.SessionId);

        // gc's path: an env whose launcher vanished is found by its objects; its teardown releases the lease too.
        var orphan = lab.Start(PartLab.Profile("orphan"));
        lab.Forget(orphan.SessionId);
        Assert.Contains(orphan.SessionId, lab.Part.FindSessions());
        Assert.True(lab.Part.Teardown(orphan.SessionId));
        Assert.DoesNotContain(lab.Store.ListLeases(), l => l.SessionId == orphan.SessionId);
        Assert.DoesNotContain(orphan.SessionId, lab.Part.FindSessions());
    }

    [Fact]
    public void A_host_port_another_env_publishes_is_refused_naming_the_port_the_env_and_the_fix()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables"))
        {
            return;
        }

        using var lab = new PartLab(output);
        var api = lab.Start(PartLab.Profile("api", n => n.Ports = ["18932:8080", "18933:53/udp"]));

        // Same number, other protocol: a different element, allowed.
        var dns = lab.Start(PartLab.Profile("dns", n => n.Ports = ["18932:53/udp"]));

        var e = Assert.Throws<LaunchException>(() => lab.Start(PartLab.Profile("web", n => n.Ports = ["18940:80", "18932:80"])));
        output.WriteLine(e.Message);
        Assert.Equal(
            $"profile \"web\": network.ports \"18932:80\" publishes host port 18932/tcp, which session {api.SessionId} (profile \"api\") "
            + $"already publishes; stop that env (devshell stop {api.SessionId}) or publish another host port in profile \"web\"",
            e.Message);
        Assert.Equal(4, e.ExitCode);

        var again = Assert.Throws<LaunchException>(() => lab.Start(PartLab.Profile("dns", n => n.Ports = ["18932:53/udp"])));
        Assert.Contains($"host port 18932/udp, which session {dns.SessionId} (another env of this profile)", again.Message, StringComparison.Ordinal);

        // The refused launches left nothing behind, and the holder still has its port.
        Assert.Equal(
            new[] { api.SessionId, dns.SessionId }.Order(StringComparer.Ordinal),
            lab.Part.Firewall.ListEnvElements().Select(x => x.SessionId).Order(StringComparer.Ordinal));
        Assert.Equal(2, File.ReadAllLines(lab.Names.HostsFile).Count(l => l.Contains(".devshell", StringComparison.Ordinal)));
        Assert.Contains(lab.Part.Firewall.ListEnvElements().Single(x => x.SessionId == api.SessionId).Published, p => p.HostPort == 18932);

        // Once the holder stops, the port is free.
        Assert.True(lab.Stop(api.SessionId));
        var web = lab.Start(PartLab.Profile("web", n => n.Ports = ["18932:80"]));
        Assert.Contains(lab.Part.Firewall.ListEnvElements().Single(x => x.SessionId == web.SessionId).Published, p => p.HostPort == 18932);
    }
}
