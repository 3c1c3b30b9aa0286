using DevShell.Core.Networking;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Net;

/// <summary>What <see cref="BridgeNetwork.EnsureBridge"/> found or did.</summary>
/// <param name="Name">Bridge name.</param>
/// <param name="Index">Its ifindex.</param>
/// <param name="Subnet">The env subnet.</param>
/// <param name="Gateway">The bridge's own address (the envs' default gateway), host-order.</param>
/// <param name="Created">The bridge did not exist and was created now.</param>
/// <param name="Changes">Host settings changed now, for the user ("net.ipv4.ip_forward: 0 -> 1").</param>
public sealed record BridgeStatus(string Name, int Index, Ipv4Cidr Subnet, uint Gateway, bool Created, IReadOnlyList<string> Changes);

/// <summary>One env wired to the bridge.</summary>
public sealed record VethAttachment(string SessionId, string HostInterface, string NetnsPath, uint Address, int PrefixLength, uint Gateway);

/// <summary>
/// The per-env plumbing: one Linux bridge (default "devshell0") whose address is the envs' gateway, and per env a
/// veth pair "ds-&lt;session&gt;" (host) / "eth0" (inside the env's network namespace).
/// <para>
/// Env-to-env traffic is ROUTED through the host, not bridged: every env port is an isolated bridge port
/// (IFLA_BRPORT_ISOLATED), so envs cannot reach each other at layer 2, and the bridge answers ARP for the whole
/// subnet with its own MAC (proxy_arp_pvlan; proxy_delay 0, else the kernel delays each proxied ARP reply by up
/// to 0.8 s). A packet from env A to env B therefore goes A -> bridge (gateway) ->
/// IP forwarding -> bridge -> B, and crosses the inet forward hook with conntrack, so one nftables table filters
/// env-to-env, env-to-world and env-to-host traffic alike. The alternatives were rejected: br_netfilter is a
/// host-global switch (it changes Docker's and libvirt's bridges too) and is a module that may be absent; a bridge
/// family table has no conntrack here (CONFIG_NF_CONNTRACK_BRIDGE is not set on this kernel, so no "established").
/// send_redirects is turned off on the bridge because hairpin routing would otherwise make the host send ICMP
/// redirects. route_localnet is turned on so 127.0.0.1-published ports can be DNATed into the bridge.
/// </para>
/// </summary>
public sealed class BridgeNetwork
{
    /// <summary>The production bridge name.</summary>
    public const string DefaultBridgeName = "devshell0";

    /// <summary>Host-side veth names are this prefix plus the session id.</summary>
    public const string HostInterfacePrefix = "ds-";

    /// <summary>Name of the env-side veth inside its namespace.</summary>
    public const string EnvInterface = "eth0";

    private readonly Sysctl _sysctl;

    public BridgeNetwork(Ipv4Cidr subnet, string bridgeName = DefaultBridgeName, Sysctl? sysctl = null)
    {
        if (subnet.PrefixLength is < 8 or > 30)
        {
            throw new ArgumentException($"bridge subnet {subnet} must have a prefix length of 8..30", nameof(subnet));
        }

        Subnet = subnet;
        BridgeName = bridgeName;
        _sysctl = sysctl ?? new Sysctl();
    }

    public string BridgeName { get; }

    public Ipv4Cidr Subnet { get; }

    /// <summary>The bridge's address: the first host of the subnet.</summary>
    public uint Gateway => Subnet.Gateway;

    /// <summary>"ds-&lt;sessionId&gt;"; session ids are 1..12 of [a-z0-9-] so the name fits IFNAMSIZ.</summary>
    public static string HostInterfaceName(string sessionId)
    {
        CheckSessionId(sessionId);
        return HostInterfacePrefix + sessionId;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the id is 1..12 of [a-z0-9-] (ds-&lt;id&gt; &lt;= 15 chars).</summary>
    public static void CheckSessionId(string sessionId)
    {
        int max = Netlink.MaxInterfaceName - HostInterfacePrefix.Length;
        if (sessionId.Length == 0 || sessionId.Length > max
            || !sessionId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException(
                $"session id \"{sessionId}\" is not usable in interface names (1..{max} of a-z, 0-9, '-')",
                nameof(sessionId));
        }
    }

    /// <summary>
    /// The default subnet for this host: the first of <see cref="SubnetPicker.DefaultCandidates"/> (or
    /// <paramref name="candidates"/>) that no route in &lt;procRoot&gt;/net/route overlaps.
    /// </summary>
    public static Ipv4Cidr PickSubnet(string procRoot = "/proc", IEnumerable<Ipv4Cidr>? candidates = null, string ownBridge = DefaultBridgeName) =>
        SubnetPicker.Pick(HostRoutes.Read(procRoot), candidates, ownBridge)
        ?? throw new InvalidOperationException(
            "no free subnet for the DevShell bridge: every candidate overlaps a host route; set one explicitly " +
            "(e.g. devshell config set network.subnet 10.99.0.0/16)");

    /// <summary>
    /// Makes sure the bridge exists, has gateway/prefix, is up, and the host forwards and proxies ARP for it.
    /// Idempotent and safe against a concurrent DevShell doing the same.
    /// </summary>
    public BridgeStatus EnsureBridge()
    {
        var changes = new List<string>();
        using var netlink = Netlink.Open();
        bool created = false;
        LinkInfo? link = netlink.TryGetLink(BridgeName);
        if (link is null)
        {
            try
            {
                link = netlink.CreateBridge(BridgeName);
                created = true;
            }
            catch (SyscallException e) when (e.Errno == Errno.EEXIST)
            {
                link = netlink.TryGetLink(BridgeName);
            }
        }

        if (link is null || link.Kind != "bridge")
        {
            throw new InvalidOperationException(
                $"network interface {BridgeName} exists but is {(link?.Kind is null ? "not a bridge" : $"a {link.Kind}, not a bridge")}; " +
                $"delete it (ip link del {BridgeName}) or configure another bridge name");
        }

        int prefix = Subnet.PrefixLength;
        if (!netlink.ListIPv4Addresses(BridgeName).Contains(new InterfaceAddress(Gateway, prefix)))
        {
            try
            {
                netlink.AddIPv4Address(BridgeName, Gateway, prefix);
            }
            catch (SyscallException e) when (e.Errno == Errno.EEXIST)
            {
                // Another DevShell added it meanwhile.
            }
        }

        netlink.SetUp(BridgeName);

        if (_sysctl.EnableIpForward())
        {
            changes.Add("net.ipv4.ip_forward: 0 -> 1 (envs reach the network through the host)");
        }

        Tune(changes, "conf", "proxy_arp_pvlan", 1);
        Tune(changes, "neigh", "proxy_delay", 0);
        Tune(changes, "conf", "route_localnet", 1);
        Tune(changes, "conf", "send_redirects", 0);
        return new BridgeStatus(BridgeName, link.Index, Subnet, Gateway, created, changes);
    }

    /// <summary>Attach with the bridge's subnet prefix and gateway.</summary>
    public VethAttachment Attach(string sessionId, string netnsPath, uint address) =>
        Attach(sessionId, netnsPath, address, Subnet.PrefixLength, Gateway);

    /// <summary>
    /// Wires an env: veth ds-&lt;id&gt; on the host (isolated port of the bridge, up) and eth0 inside the netns at
    /// <paramref name="netnsPath"/> with <paramref name="address"/>/<paramref name="prefixLength"/>, up, default
    /// route via <paramref name="gateway"/>; lo up. If any step fails the veth is deleted again (no leak).
    /// </summary>
    public VethAttachment Attach(string sessionId, string netnsPath, uint address, int prefixLength, uint gateway)
    {
        string host = HostInterfaceName(sessionId);
        if (!Subnet.Contains(address) || address == Subnet.Network || address == Subnet.Broadcast || address == Gateway)
        {
            throw new ArgumentException(
                $"env address {Ipv4.Format(address)} is not a free host address of {Subnet} " +
                $"(not the network, broadcast or gateway {Ipv4.Format(Gateway)})",
                nameof(address));
        }

        using var netlink = Netlink.Open();
        netlink.CreateVethPair(host, EnvInterface, netnsPath, master: BridgeName);
        try
        {
            netlink.SetBridgePortIsolated(host, true);
            netlink.SetUp(host);
            using var inside = Netlink.OpenInNetns(netnsPath);
            inside.SetUp("lo");
            inside.AddIPv4Address(EnvInterface, address, prefixLength);
            inside.SetUp(EnvInterface);
            inside.AddDefaultRoute(gateway, EnvInterface);
        }
        catch
        {
            _ = netlink.TryDeleteLink(host);
            throw;
        }

        return new VethAttachment(sessionId, host, netnsPath, address, prefixLength, gateway);
    }

    /// <summary>Deletes the env's host veth (its peer inside goes with it). False if it was already gone.</summary>
    public static bool Detach(string sessionId)
    {
        using var netlink = Netlink.Open();
        return netlink.TryDeleteLink(HostInterfaceName(sessionId));
    }

    /// <summary>Session ids of every "ds-*" interface on the host (for gc: compare with live sessions).</summary>
    public static IReadOnlyList<string> ListAttachedSessions()
    {
        using var netlink = Netlink.Open();
        return netlink.ListLinks()
            .Where(l => l.Name.StartsWith(HostInterfacePrefix, StringComparison.Ordinal) && l.Kind == "veth")
            .Select(l => l.Name[HostInterfacePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Host-side counters of the env's veth (rx on the host side = bytes the env sent).</summary>
    public static LinkStats? TryReadStats(string sessionId)
    {
        using var netlink = Netlink.Open();
        return netlink.TryGetLink(HostInterfaceName(sessionId))?.Stats;
    }

    /// <summary>Deletes the bridge (for tests and `devshell net down`). False if it did not exist.</summary>
    public bool DeleteBridge()
    {
        using var netlink = Netlink.Open();
        return netlink.TryDeleteLink(BridgeName);
    }

    private void Tune(List<string> changes, string group, string key, int value)
    {
        if (_sysctl.Ensure($"net/ipv4/{group}/{BridgeName}/{key}", value.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            changes.Add($"net.ipv4.{group}.{BridgeName}.{key} = {value}");
        }
    }
}
