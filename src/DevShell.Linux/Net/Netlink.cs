using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DevShell.Core.Networking;
using DevShell.Linux.Interop;
using DevShell.Linux.Net.Rtnetlink;
using Tmds.Linux;

namespace DevShell.Linux.Net;

/// <summary>
/// An rtnetlink client (AF_NETLINK/NETLINK_ROUTE) for the few operations DevShell's networking needs, without
/// spawning <c>ip</c>. Every change is sent with NLM_F_ACK and a failure throws <see cref="SyscallException"/> naming
/// what was being done: "creating veth ds-1a2b3c4d: File exists (EEXIST)".
/// <para>
/// A client works in the network namespace it was opened in: <see cref="Open"/> for the caller's (host) namespace,
/// <see cref="OpenInNetns"/> for an env's. Not thread-safe; IPv4 only. Addresses are host-order <see cref="uint"/>
/// values as produced by <see cref="Ipv4"/>.
/// </para>
/// </summary>
public sealed class Netlink : IDisposable
{
    /// <summary>IFNAMSIZ - 1.</summary>
    public const int MaxInterfaceName = 15;

    private readonly NetlinkSocket _socket;

    private Netlink(NetlinkSocket socket) => _socket = socket;

    /// <summary>Opens a client in the calling thread's network namespace (normally the host's).</summary>
    public static Netlink Open() => new(NetlinkSocket.Open());

    /// <summary>Opens a client inside the network namespace bound at <paramref name="netnsPath"/>.</summary>
    public static Netlink OpenInNetns(string netnsPath) =>
        new(NetnsThread.Run(netnsPath, () => NetlinkSocket.Open(), "opening an rtnetlink socket"));

    /// <summary>Creates a bridge (down, no address). Throws EEXIST if the name is taken.</summary>
    public LinkInfo CreateBridge(string name)
    {
        CheckName(name);
        string what = $"creating bridge {name}";
        var m = NewLink(Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL, index: 0);
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        int info = m.BeginNested(Rtnl.IFLA_LINKINFO);
        m.AttrString(Rtnl.IFLA_INFO_KIND, "bridge");
        m.EndNested(info);
        _socket.Request(m, what);
        return GetLink(name, what);
    }

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> here, and its peer named <paramref name="peerName"/> directly
    /// inside the network namespace bound at <paramref name="peerNetnsPath"/> (IFLA_NET_NS_FD), optionally enslaved
    /// to bridge <paramref name="master"/> at creation. Both ends start down.
    /// </summary>
    public LinkInfo CreateVethPair(string name, string peerName, string peerNetnsPath, string? master = null) =>
        CreateVethPair(name, peerName, peerNetnsPath, new VethOptions { Master = master });

    /// <summary>
    /// Creates a veth pair in ONE request: <paramref name="name"/> here, its peer <paramref name="peerName"/> inside
    /// the network namespace bound at <paramref name="peerNetnsPath"/>, with <paramref name="options"/> (bridge,
    /// MTU and GSO size of both ends). Both ends start down (a veth cannot be opened before its pair is complete:
    /// asking for the peer up in the same request fails with ENOTCONN). The result's
    /// <see cref="LinkInfo.LinkIndex"/> is the peer's ifindex inside its namespace.
    /// </summary>
    public LinkInfo CreateVethPair(string name, string peerName, string peerNetnsPath, VethOptions options)
    {
        CheckName(name);
        CheckName(peerName);
        string what = $"creating veth {name}";
        int masterIndex = options.MasterIndex != 0 ? options.MasterIndex
            : options.Master is null ? 0 : GetLink(options.Master, what + $": finding bridge {options.Master}").Index;
        int nsfd = Sys.TryOpen(peerNetnsPath, LibC.O_RDONLY, out int errno);
        if (nsfd < 0)
        {
            throw new SyscallException("open", errno, $"{what}: opening network namespace {peerNetnsPath}");
        }

        try
        {
            var m = NewLink(Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL, index: 0);
            m.AttrString(Rtnl.IFLA_IFNAME, name);
            if (masterIndex != 0)
            {
                m.AttrU32(Rtnl.IFLA_MASTER, (uint)masterIndex);
            }

            WriteSettings(m, options.Settings is null ? null : options.Settings with { Mac = null });
            int info = m.BeginNested(Rtnl.IFLA_LINKINFO);
            m.AttrString(Rtnl.IFLA_INFO_KIND, "veth");
            int data = m.BeginNested(Rtnl.IFLA_INFO_DATA);
            int peer = m.BeginNested(Rtnl.VETH_INFO_PEER);
            m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC });
            m.AttrString(Rtnl.IFLA_IFNAME, peerName);
            m.AttrU32(Rtnl.IFLA_NET_NS_FD, (uint)nsfd);
            WriteSettings(m, options.Settings is null ? null : options.Settings with { Mac = null });
            if (options.PeerMac is byte[] mac)
            {
                m.Attr(Rtnl.IFLA_ADDRESS, mac);
            }
            m.EndNested(peer);
            m.EndNested(data);
            m.EndNested(info);
            _socket.Request(m, what);
        }
        finally
        {
            Sys.Close(nsfd);
        }

        return GetLink(name, what);
    }

    /// <summary>Applies <paramref name="settings"/> (MTU, GSO/GRO size) to <paramref name="name"/>.</summary>
    public void SetLinkSettings(string name, LinkSettings settings)
    {
        var m = NewLink(0, index: 0);
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        WriteSettings(m, settings);
        _socket.Request(m, $"setting {Describe(settings)} on {name}");
    }

    /// <summary>Enslaves <paramref name="name"/> to bridge <paramref name="master"/>.</summary>
    public void SetMaster(string name, string master)
    {
        string what = $"adding {name} to bridge {master}";
        int masterIndex = GetLink(master, what).Index;
        var m = NewLink(0, index: 0);
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        m.AttrU32(Rtnl.IFLA_MASTER, (uint)masterIndex);
        _socket.Request(m, what);
    }

    /// <summary>
    /// Sets the bridge-port flag "isolated" on <paramref name="name"/> (a bridge port): isolated ports cannot talk
    /// to each other at layer 2, only to the bridge itself (IFLA_BRPORT_ISOLATED, Linux 4.18+).
    /// </summary>
    public void SetBridgePortIsolated(string name, bool isolated) => SetBridgePortIsolated(name, isolated, up: false);

    /// <summary>
    /// Like <see cref="SetBridgePortIsolated(string, bool)"/>; with <paramref name="up"/> the same request also sets
    /// IFF_UP, so the port never forwards before it is isolated.
    /// </summary>
    public void SetBridgePortIsolated(string name, bool isolated, bool up)
    {
        string what = $"marking bridge port {name} {(isolated ? "isolated" : "not isolated")}{(up ? " and bringing it up" : "")}";
        var m = new NetlinkWriter(Rtnl.RTM_NEWLINK, 0);
        m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC, Flags = up ? Rtnl.IFF_UP : 0, Change = up ? Rtnl.IFF_UP : 0 });
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        int info = m.BeginNested(Rtnl.IFLA_LINKINFO);
        m.AttrString(Rtnl.IFLA_INFO_SLAVE_KIND, "bridge");
        int data = m.BeginNested(Rtnl.IFLA_INFO_SLAVE_DATA);
        m.AttrU8(Rtnl.IFLA_BRPORT_ISOLATED, isolated ? (byte)1 : (byte)0);
        m.EndNested(data);
        m.EndNested(info);
        _socket.Request(m, what);
    }

    /// <summary>Sets IFF_UP on the link with ifindex <paramref name="index"/> (no lookup).</summary>
    public void SetUp(int index, string name)
    {
        var m = new NetlinkWriter(Rtnl.RTM_NEWLINK, 0);
        m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC, Index = index, Flags = Rtnl.IFF_UP, Change = Rtnl.IFF_UP });
        _socket.Request(m, $"bringing {name} up");
    }

    /// <summary>Sets IFF_UP on <paramref name="name"/>.</summary>
    public void SetUp(string name)
    {
        var m = new NetlinkWriter(Rtnl.RTM_NEWLINK, 0);
        m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC, Flags = Rtnl.IFF_UP, Change = Rtnl.IFF_UP });
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        _socket.Request(m, $"bringing {name} up");
    }

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to <paramref name="name"/>; EEXIST if present.</summary>
    public void AddIPv4Address(string name, uint address, int prefixLength) =>
        AddIPv4Address(GetLink(name, $"adding address {Ipv4.Format(address)}/{prefixLength} to {name}").Index, name, address, prefixLength);

    /// <summary>Like <see cref="AddIPv4Address(string, uint, int)"/> for the link with ifindex <paramref name="index"/> (no lookup).</summary>
    public void AddIPv4Address(int index, string name, uint address, int prefixLength)
    {
        string what = $"adding address {Ipv4.Format(address)}/{prefixLength} to {name}";
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)prefixLength, 32u, nameof(prefixLength));
        var m = new NetlinkWriter(Rtnl.RTM_NEWADDR, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        m.Write(new IfAddrMsg
        {
            Family = Rtnl.AF_INET,
            PrefixLen = (byte)prefixLength,
            Scope = Rtnl.RT_SCOPE_UNIVERSE,
            Index = (uint)index,
        });
        m.Attr(Rtnl.IFA_LOCAL, NetworkOrder(address, stackalloc byte[4]));
        m.Attr(Rtnl.IFA_ADDRESS, NetworkOrder(address, stackalloc byte[4]));
        if (prefixLength < 31)
        {
            uint broadcast = address | (prefixLength == 0 ? uint.MaxValue : ~(uint.MaxValue << (32 - prefixLength)));
            m.Attr(Rtnl.IFA_BROADCAST, NetworkOrder(broadcast, stackalloc byte[4]));
        }

        _socket.Request(m, what);
    }

    /// <summary>The IPv4 addresses on <paramref name="name"/>.</summary>
    public IReadOnlyList<InterfaceAddress> ListIPv4Addresses(string name)
    {
        string what = $"listing addresses of {name}";
        int index = GetLink(name, what).Index;
        var result = new List<InterfaceAddress>();
        _socket.Dump(
            () =>
            {
                var m = new NetlinkWriter(Rtnl.RTM_GETADDR, 0);
                m.Write(new IfAddrMsg { Family = Rtnl.AF_INET });
                return m;
            },
            (type, body) =>
            {
                if (type != Rtnl.RTM_NEWADDR || body.Length < Unsafe.SizeOf<IfAddrMsg>())
                {
                    return;
                }

                IfAddrMsg msg = MemoryMarshal.Read<IfAddrMsg>(body);
                if (msg.Index != index || msg.Family != Rtnl.AF_INET)
                {
                    return;
                }

                uint? local = null, address = null;
                var attrs = new NetlinkAttributes(body[Rtnl.AlignUp(Unsafe.SizeOf<IfAddrMsg>())..]);
                while (attrs.MoveNext())
                {
                    if (attrs.Payload.Length == 4 && attrs.Type is Rtnl.IFA_LOCAL)
                    {
                        local = BinaryPrimitives.ReadUInt32BigEndian(attrs.Payload);
                    }
                    else if (attrs.Payload.Length == 4 && attrs.Type is Rtnl.IFA_ADDRESS)
                    {
                        address = BinaryPrimitives.ReadUInt32BigEndian(attrs.Payload);
                    }
                }

                if ((local ?? address) is uint a)
                {
                    result.Add(new InterfaceAddress(a, msg.PrefixLen));
                }
            },
            what);
        return result;
    }

    /// <summary>Adds "default via <paramref name="gateway"/> dev <paramref name="name"/>" to the main table.</summary>
    public void AddDefaultRoute(uint gateway, string name) =>
        AddDefaultRoute(gateway, GetLink(name, $"adding default route via {Ipv4.Format(gateway)} dev {name}").Index, name);

    /// <summary>Like <see cref="AddDefaultRoute(uint, string)"/> for the link with ifindex <paramref name="index"/> (no lookup).</summary>
    public void AddDefaultRoute(uint gateway, int index, string name)
    {
        string what = $"adding default route via {Ipv4.Format(gateway)} dev {name}";
        var m = new NetlinkWriter(Rtnl.RTM_NEWROUTE, Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL);
        m.Write(new RtMsg
        {
            Family = Rtnl.AF_INET,
            DstLen = 0,
            Table = Rtnl.RT_TABLE_MAIN,
            Protocol = Rtnl.RTPROT_BOOT,
            Scope = Rtnl.RT_SCOPE_UNIVERSE,
            Type = Rtnl.RTN_UNICAST,
        });
        m.Attr(Rtnl.RTA_GATEWAY, NetworkOrder(gateway, stackalloc byte[4]));
        m.AttrU32(Rtnl.RTA_OIF, (uint)index);
        _socket.Request(m, what);
    }

    /// <summary>Deletes link <paramref name="name"/> (for a veth, the peer goes with it); throws if absent.</summary>
    public void DeleteLink(string name)
    {
        if (!TryDeleteLink(name, out int errno, out string? detail))
        {
            throw new SyscallException("netlink", errno, detail is null ? $"deleting {name}" : $"deleting {name} (kernel: {detail})");
        }
    }

    /// <summary>Deletes link <paramref name="name"/>; false if there is no such link (an expected race).</summary>
    public bool TryDeleteLink(string name)
    {
        if (TryDeleteLink(name, out int errno, out string? detail))
        {
            return true;
        }

        if (errno == Errno.ENODEV)
        {
            return false;
        }

        throw new SyscallException("netlink", errno, detail is null ? $"deleting {name}" : $"deleting {name} (kernel: {detail})");
    }

    /// <summary>The link called <paramref name="name"/>, or null if there is none.</summary>
    public LinkInfo? TryGetLink(string name)
    {
        CheckName(name);
        var m = new NetlinkWriter(Rtnl.RTM_GETLINK, 0);
        m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC });
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        LinkInfo? found = null;
        int errno = _socket.TryGet(m, (type, body) => found = ParseLink(type, body) ?? found, out string? detail);
        if (errno == Errno.ENODEV)
        {
            return null;
        }

        if (errno != 0)
        {
            throw new SyscallException("netlink", errno, detail is null ? $"looking up {name}" : $"looking up {name} (kernel: {detail})");
        }

        return found;
    }

    /// <summary>Every link in this namespace (gc uses it to find leftover "ds-*" veths).</summary>
    public IReadOnlyList<LinkInfo> ListLinks()
    {
        var result = new List<LinkInfo>();
        _socket.Dump(
            () =>
            {
                var m = new NetlinkWriter(Rtnl.RTM_GETLINK, 0);
                m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC });
                return m;
            },
            (type, body) =>
            {
                if (ParseLink(type, body) is LinkInfo link)
                {
                    result.Add(link);
                }
            },
            "listing network interfaces");
        return result;
    }

    public void Dispose() => _socket.Dispose();

    private LinkInfo GetLink(string name, string what) =>
        TryGetLink(name) ?? throw new SyscallException("netlink", Errno.ENODEV, $"{what}: no interface named {name}");

    private bool TryDeleteLink(string name, out int errno, out string? detail)
    {
        CheckName(name);
        var m = NewLink(0, index: 0, type: Rtnl.RTM_DELLINK);
        m.AttrString(Rtnl.IFLA_IFNAME, name);
        errno = _socket.TryRequest(m, out detail);
        return errno == 0;
    }

    private static NetlinkWriter NewLink(ushort flags, int index, ushort type = Rtnl.RTM_NEWLINK)
    {
        var m = new NetlinkWriter(type, flags);
        m.Write(new IfInfoMsg { Family = Rtnl.AF_UNSPEC, Index = index });
        return m;
    }

    private static LinkInfo? ParseLink(ushort type, ReadOnlySpan<byte> body)
    {
        if (type != Rtnl.RTM_NEWLINK || body.Length < Unsafe.SizeOf<IfInfoMsg>())
        {
            return null;
        }

        IfInfoMsg msg = MemoryMarshal.Read<IfInfoMsg>(body);
        string name = "";
        string? kind = null;
        int master = 0, mtu = 0, link = 0;
        uint gsoIpv4 = 0;
        string mac = "";
        LinkStats stats = default;
        var attrs = new NetlinkAttributes(body[Rtnl.AlignUp(Unsafe.SizeOf<IfInfoMsg>())..]);
        while (attrs.MoveNext())
        {
            switch (attrs.Type)
            {
                case Rtnl.IFLA_IFNAME:
                    name = NetlinkAttributes.String(attrs.Payload);
                    break;
                case Rtnl.IFLA_MASTER:
                    master = (int)NetlinkAttributes.U32(attrs.Payload);
                    break;
                case Rtnl.IFLA_MTU:
                    mtu = (int)NetlinkAttributes.U32(attrs.Payload);
                    break;
                case Rtnl.IFLA_LINK:
                    link = (int)NetlinkAttributes.U32(attrs.Payload);
                    break;
                case Rtnl.IFLA_ADDRESS:
                    mac = FormatMac(attrs.Payload);
                    break;
                case Rtnl.IFLA_GSO_IPV4_MAX_SIZE:
                    gsoIpv4 = NetlinkAttributes.U32(attrs.Payload);
                    break;
                case Rtnl.IFLA_STATS64 when attrs.Payload.Length >= Unsafe.SizeOf<RtnlLinkStats64Head>():
                    RtnlLinkStats64Head s = MemoryMarshal.Read<RtnlLinkStats64Head>(attrs.Payload);
                    stats = new LinkStats(s.RxBytes, s.TxBytes, s.RxPackets, s.TxPackets, s.RxDropped, s.TxDropped);
                    break;
                case Rtnl.IFLA_LINKINFO:
                    var info = new NetlinkAttributes(attrs.Payload);
                    while (info.MoveNext())
                    {
                        if (info.Type == Rtnl.IFLA_INFO_KIND)
                        {
                            kind = NetlinkAttributes.String(info.Payload);
                        }
                    }

                    break;
            }
        }

        return new LinkInfo(msg.Index, name, kind, master, (msg.Flags & Rtnl.IFF_UP) != 0, stats)
        {
            Mtu = mtu,
            LinkIndex = link,
            GsoIpv4MaxSize = gsoIpv4,
            Mac = mac,
        };
    }

    private static void WriteSettings(NetlinkWriter m, LinkSettings? settings)
    {
        if (settings?.Mtu is int mtu)
        {
            m.AttrU32(Rtnl.IFLA_MTU, (uint)mtu);
        }

        if (settings?.Mac is byte[] mac)
        {
            m.Attr(Rtnl.IFLA_ADDRESS, mac);
        }

        if (settings?.GsoMaxSize is uint gso)
        {
            m.AttrU32(Rtnl.IFLA_GSO_IPV4_MAX_SIZE, gso);
            m.AttrU32(Rtnl.IFLA_GRO_IPV4_MAX_SIZE, gso);
        }
    }

    private static string Describe(LinkSettings s) =>
        string.Join(", ", new[] { s.Mtu is int m ? $"mtu {m}" : null, s.GsoMaxSize is uint g ? $"gso/gro_ipv4_max_size {g}" : null }.OfType<string>());

    /// <summary>The bytes of a MAC written as "02:44:0a:d5:00:02".</summary>
    public static byte[] ParseMac(string mac) => Convert.FromHexString(mac.Replace(":", "", StringComparison.Ordinal));

    /// <summary>"02:44:0a:d5:00:02".</summary>
    public static string FormatMac(ReadOnlySpan<byte> mac)
    {
        string hex = Convert.ToHexStringLower(mac);
        var parts = new string[mac.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = hex.Substring(2 * i, 2);
        }

        return string.Join(':', parts);
    }

    private static ReadOnlySpan<byte> NetworkOrder(uint address, Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer, address);
        return buffer;
    }

    private static void CheckName(string name)
    {
        if (name.Length is 0 or > MaxInterfaceName || name.Contains('/', StringComparison.Ordinal)
            || name.Any(char.IsWhiteSpace) || name is "." or "..")
        {
            throw new ArgumentException(
                $"\"{name}\" is not a valid interface name (1..{MaxInterfaceName} characters, no '/' or spaces)",
                nameof(name));
        }
    }
}
