namespace DevShell.Linux.Net;

/// <summary>A network interface as rtnetlink reports it.</summary>
/// <param name="Index">ifindex.</param>
/// <param name="Name">Interface name (at most 15 bytes).</param>
/// <param name="Kind">IFLA_INFO_KIND: "bridge", "veth", ... or null for physical/loopback devices.</param>
/// <param name="MasterIndex">ifindex of the bridge it is enslaved to, or 0.</param>
/// <param name="IsUp">IFF_UP is set (administratively up).</param>
/// <param name="Stats">Counters from IFLA_STATS64.</param>
public sealed record LinkInfo(int Index, string Name, string? Kind, int MasterIndex, bool IsUp, LinkStats Stats);

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
