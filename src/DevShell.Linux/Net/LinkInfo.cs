namespace DevShell.Linux.Net;

/// <summary>A network interface as rtnetlink reports it.</summary>
/// <param name="Index">ifindex.</param>
/// <param name="Name">Interface name (at most 15 bytes).</param>
/// <param name="Kind">IFLA_INFO_KIND: "bridge", "veth", ... or null for physical/loopback devices.</param>
/// <param name="MasterIndex">ifindex of the bridge it is enslaved to, or 0.</param>
/// <param name="IsUp">IFF_UP is set (administratively up).</param>
/// <param name="Stats">Counters from IFLA_STATS64.</param>
public sealed record LinkInfo(int Index, string Name, string? Kind, int MasterIndex, bool IsUp, LinkStats Stats)
{
    /// <summary>IFLA_MTU.</summary>
    public int Mtu { get; init; }

    /// <summary>IFLA_LINK: for a veth, the ifindex of its peer (in the peer's namespace); 0 if none.</summary>
    public int LinkIndex { get; init; }

    /// <summary>IFLA_GSO_IPV4_MAX_SIZE (Linux 6.3+): the largest IPv4 GSO packet it sends; 0 if not reported.</summary>
    public uint GsoIpv4MaxSize { get; init; }

    /// <summary>IFLA_ADDRESS as "02:44:0a:d5:00:02" (empty if the device has none).</summary>
    public string Mac { get; init; } = "";
}

/// <summary>Device settings applied when DevShell creates or tunes a link; null members are left as they are.</summary>
/// <param name="Mtu">IFLA_MTU.</param>
/// <param name="GsoMaxSize">
/// IFLA_GSO_IPV4_MAX_SIZE and IFLA_GRO_IPV4_MAX_SIZE (BIG TCP for IPv4, Linux 6.3+; older kernels ignore them).
/// </param>
public sealed record LinkSettings(int? Mtu = null, uint? GsoMaxSize = null)
{
    /// <summary>IFLA_ADDRESS (6 bytes): setting it, even to the current value, pins a bridge's MAC.</summary>
    public byte[]? Mac { get; init; }
}

/// <summary>Interface counters (rtnl_link_stats64), from the interface's own point of view.</summary>
public readonly record struct LinkStats(
    ulong RxBytes,
    ulong TxBytes,
    ulong RxPackets,
    ulong TxPackets,
    ulong RxDropped,
    ulong TxDropped);

/// <summary>An IPv4 address on an interface: address (host-order value, as in Core's Ipv4) and prefix length.</summary>
public readonly record struct InterfaceAddress(uint Address, int PrefixLength);

/// <summary>How <see cref="Netlink.CreateVethPair(string, string, string, VethOptions)"/> makes the pair.</summary>
public sealed record VethOptions
{
    /// <summary>Bridge to enslave the host end to, by name (looked up) ...</summary>
    public string? Master { get; init; }

    /// <summary>... or by ifindex (no lookup); wins over <see cref="Master"/> when not 0.</summary>
    public int MasterIndex { get; init; }

    /// <summary>MTU and GSO size of both ends.</summary>
    public LinkSettings? Settings { get; init; }

    /// <summary>MAC address of the peer (the env's end); random when null.</summary>
    public byte[]? PeerMac { get; init; }
}
