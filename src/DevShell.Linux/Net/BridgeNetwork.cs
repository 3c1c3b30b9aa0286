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
/// route_localnet is turned on so 127.0.0.1-published ports can be DNATed into the bridge.
/// </para>
/// <para>
/// Redirects. Routing env-to-env traffic back out of the interface it came in on makes the kernel treat every
/// such packet as a redirect candidate: it validates the source with a second FIB lookup, looks up the sender's
/// inet_peer to rate-limit, and sends the env ICMP redirects it cannot use. send_redirects is turned off on the
/// bridge, but the kernel ORs it with net.ipv4.conf.all.send_redirects (1 by default), so the bridge's 0 only takes
/// effect once "all" is 0. <see cref="EnsureBridge"/> sets all to 0 when that changes nothing for any other
/// interface (every other interface with its own 0 is a bridge; interfaces with their own 1 — every interface by
/// default — keep sending redirects), and reports it.
/// </para>
/// <para>
/// Throughput. TCP between envs crosses two veth pairs, the bridge, routing, conntrack and the forward hooks,
/// where a bare veth pair crosses one veth pair: the per-packet work is much larger, and on a small VM that work,
/// not copying, bounds throughput (same-size packets: envs reach about 80-90% of a bare pair). The pair is
/// therefore created with BIG TCP for IPv4 (gso/gro_ipv4_max_size <see cref="DefaultGsoMaxSize"/>, Linux 6.3+, the
/// value Cilium uses): TCP in an env sends ~192 KiB packets that stay whole across veth, bridge and routing, so the
/// per-packet work is paid about three times less often. Measured with scripts/bench-net.sh: envs ~1.3-1.4x a
/// default veth pair (before: ~0.85). The bridge gets the same size (the kernel only ever lowers a bridge's GSO limit,
/// so it is raised explicitly once the bridge has a port). Packets larger than the uplink's GSO limit that leave the
/// host are segmented by the host in software instead of by the NIC. Older kernels ignore the attributes. Not used:
/// an nftables flowtable (software fast path for established flows) — this kernel is built without
/// CONFIG_NF_FLOW_TABLE, so it could be neither used nor tested here; veth GRO (off by default) — TCP packets
/// already cross the veths whole (GSO-sized), so there is nothing for GRO to merge.
/// </para>
/// <para>
/// MTU. The bridge and both veth ends take the MTU of the host's uplink (the interface of the default route,
/// clamped to 576..1500; 1500 without a default route), so traffic an env sends to the outside is never larger
/// than the uplink carries (no fragmentation or PMTU round trip after NAT, e.g. on a 1400-byte cloud or VPN
/// uplink). Between envs the MTU costs nothing: TCP packets are GSO-sized there and never segmented.
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

    /// <summary>gso/gro_ipv4_max_size of env veths and the bridge (BIG TCP; the kernel's limit is 512 KiB).</summary>
    public const uint DefaultGsoMaxSize = 196608;

    private readonly Sysctl _sysctl;
    private readonly string _sysRoot;
    private int _bridgeIndex;
    private uint _bridgeGso;

    /// <param name="subnet">The env subnet; the bridge takes its first address.</param>
    /// <param name="bridgeName">The bridge.</param>
    /// <param name="sysctl">Where /proc/sys is (tests).</param>
    /// <param name="links">MTU and GSO size of the bridge and env veths; default <see cref="DefaultLinkSettings"/>.</param>
    /// <param name="sysRoot">Where sysfs is (tests).</param>
    public BridgeNetwork(Ipv4Cidr subnet, string bridgeName = DefaultBridgeName, Sysctl? sysctl = null, LinkSettings? links = null, string sysRoot = "/sys")
    {
        if (subnet.PrefixLength is < 8 or > 30)
        {
            throw new ArgumentException($"bridge subnet {subnet} must have a prefix length of 8..30", nameof(subnet));
        }

        Subnet = subnet;
        BridgeName = bridgeName;
        _sysctl = sysctl ?? new Sysctl();
        _sysRoot = sysRoot;
        Links = links ?? DefaultLinkSettings(sysRoot: sysRoot);
    }

    /// <summary>MTU and GSO size given to the bridge and every env veth.</summary>
    public LinkSettings Links { get; }

    /// <summary>The uplink's MTU (see the type's remarks) and <see cref="DefaultGsoMaxSize"/>.</summary>
    public static LinkSettings DefaultLinkSettings(string procRoot = "/proc", string sysRoot = "/sys") =>
        new(UplinkMtu(procRoot, sysRoot), DefaultGsoMaxSize);

    /// <summary>
    /// The MTU envs should use: the smallest MTU among the interfaces of the host's default routes
    /// (&lt;procRoot&gt;/net/route, &lt;sysRoot&gt;/class/net/IF/mtu), clamped to 576..1500; 1500 if there is none.
    /// </summary>
    public static int UplinkMtu(string procRoot = "/proc", string sysRoot = "/sys")
    {
        int mtu = 0;
        List<string> uplinks;
        try
        {
            uplinks = HostRoutes.DefaultRouteInterfaces(SmallFile.ReadText(Path.Combine(procRoot, "net", "route")));
        }
        catch (IOException)
        {
            return 1500;
        }

        foreach (string uplink in uplinks)
        {
            string file = Path.Combine(sysRoot, "class", "net", uplink, "mtu");
            if (SmallFile.TryReadText(file) is string text && int.TryParse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture, out int m) && m > 0)
            {
                mtu = mtu == 0 ? m : Math.Min(mtu, m);
            }
        }

        return mtu == 0 ? 1500 : Math.Clamp(mtu, 576, 1500);
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
    /// Makes sure the bridge exists, has gateway/prefix and <see cref="Links"/>' MTU, is up, and the host forwards and
    /// proxies ARP for it. Idempotent and safe against a concurrent DevShell doing the same; when all is in place it
    /// costs two netlink requests and a few sysctl reads.
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

        if (Links.Mtu is int mtu && link.Mtu != mtu)
        {
            netlink.SetLinkSettings(BridgeName, new LinkSettings(Mtu: mtu));
            if (!created)
            {
                changes.Add($"{BridgeName} mtu {link.Mtu} -> {mtu} (the uplink's)");
            }
        }

        int prefix = Subnet.PrefixLength;
        if (!netlink.ListIPv4Addresses(BridgeName).Contains(new InterfaceAddress(Gateway, prefix)))
        {
            try
            {
                netlink.AddIPv4Address(link.Index, BridgeName, Gateway, prefix);
            }
            catch (SyscallException e) when (e.Errno == Errno.EEXIST)
            {
                // Another DevShell added it meanwhile.
            }
        }

        // Pin the bridge's MAC: a bridge whose address was never set takes the lowest MAC of its ports, so the
        // gateway's MAC would change whenever that env stops, and every other env would lose its gateway (and, the
        // ports being isolated, each other) for the seconds its ARP entry takes to fail. Setting the address, even to
        // the current one, makes the kernel keep it (addr_assign_type 3, NET_ADDR_SET).
        if (ReadAssignType() != 3 && link.Mac.Length == 17)
        {
            netlink.SetLinkSettings(BridgeName, new LinkSettings { Mac = Netlink.ParseMac(link.Mac) });
        }

        if (!link.IsUp)
        {
            netlink.SetUp(BridgeName);
        }

        if (_sysctl.EnableIpForward())
        {
            changes.Add("net.ipv4.ip_forward: 0 -> 1 (envs reach the network through the host)");
        }

        Tune(changes, "conf", "proxy_arp_pvlan", 1);
        Tune(changes, "neigh", "proxy_delay", 0);
        Tune(changes, "conf", "route_localnet", 1);
        Tune(changes, "conf", "send_redirects", 0);
        if (_sysctl.DisableRedirectsOverride(BridgeName))
        {
            changes.Add("net.ipv4.conf.all.send_redirects: 1 -> 0 (interfaces keep their own setting; the bridge's 0 takes effect)");
        }

        _bridgeIndex = link.Index;
        _bridgeGso = link.GsoIpv4MaxSize;
        return new BridgeStatus(BridgeName, link.Index, Subnet, Gateway, created, changes);
    }

    /// <summary>The bridge's /sys/class/net/NAME/addr_assign_type (0 permanent, 1 random, 3 set), or -1.</summary>
    private int ReadAssignType()
    {
        try
        {
            return int.TryParse(SmallFile.ReadText(Path.Combine(_sysRoot, "class", "net", BridgeName, "addr_assign_type")).Trim(),
                System.Globalization.CultureInfo.InvariantCulture, out int t) ? t : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>
    /// The MAC of an env's eth0: 02:44 (locally administered) then its IPv4 address. An address that is reused by a
    /// later env keeps its MAC, so the host's neighbour entry for it (which outlives the old veth) stays right.
    /// </summary>
    public static byte[] EnvMac(uint address) =>
        [0x02, 0x44, (byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address];

    /// <summary>Attach with the bridge's subnet prefix and gateway.</summary>
    public VethAttachment Attach(string sessionId, string netnsPath, uint address, Netlink? inside = null) =>
        Attach(sessionId, netnsPath, address, Subnet.PrefixLength, Gateway, inside);

    /// <summary>
    /// Wires an env: veth ds-&lt;id&gt; on the host (isolated port of the bridge, up) and eth0 inside the netns at
    /// <paramref name="netnsPath"/> with <paramref name="address"/>/<paramref name="prefixLength"/>, up, default
    /// route via <paramref name="gateway"/>, both ends with <see cref="Links"/>. <paramref name="inside"/> is an
    /// rtnetlink client already open in that namespace with lo up (<see cref="NetnsManager.Create(string, out Netlink)"/>);
    /// without it one is opened there and lo is brought up. If any step fails the veth is deleted again (no leak).
    /// Six netlink requests when <see cref="EnsureBridge"/> ran on this instance first.
    /// </summary>
    public VethAttachment Attach(string sessionId, string netnsPath, uint address, int prefixLength, uint gateway, Netlink? inside = null)
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
        var options = new VethOptions { Master = BridgeName, MasterIndex = _bridgeIndex, Settings = Links, PeerMac = EnvMac(address) };
        LinkInfo veth;
        try
        {
            veth = netlink.CreateVethPair(host, EnvInterface, netnsPath, options);
        }
        catch (SyscallException e) when (e.Errno == Errno.EINVAL && Links.GsoMaxSize is not null)
        {
            // A kernel that knows BIG TCP but refuses this size for a veth: a slower env beats a failed launch.
            veth = netlink.CreateVethPair(host, EnvInterface, netnsPath, options with { Settings = Links with { GsoMaxSize = null } });
        }

        try
        {
            netlink.SetBridgePortIsolated(host, true, up: true);
            if (Links.GsoMaxSize is uint gso && _bridgeGso != gso)
            {
                // Now that the bridge has a port its GSO limit can be raised (an empty bridge's is 64 KiB). Only
                // throughput depends on it, so a refusal does not fail the launch.
                try
                {
                    netlink.SetLinkSettings(BridgeName, new LinkSettings(GsoMaxSize: gso));
                }
                catch (SyscallException)
                {
                }

                _bridgeGso = gso;
            }

            Netlink? opened = inside is null ? Netlink.OpenInNetns(netnsPath) : null;
            try
            {
                Netlink env = inside ?? opened!;
                opened?.SetUp("lo");
                int index = veth.LinkIndex;
                if (index == 0)
                {
                    index = env.TryGetLink(EnvInterface)?.Index
                        ?? throw new SyscallException("netlink", Errno.ENODEV, $"wiring env {sessionId}: no {EnvInterface} in {netnsPath}");
                }

                env.AddIPv4Address(index, EnvInterface, address, prefixLength);
                env.SetUp(index, EnvInterface);
                env.AddDefaultRoute(gateway, index, EnvInterface);
            }
            finally
            {
                opened?.Dispose();
            }
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
