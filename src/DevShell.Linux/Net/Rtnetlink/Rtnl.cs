namespace DevShell.Linux.Net.Rtnetlink;

/// <summary>
/// rtnetlink constants from &lt;linux/netlink.h&gt;, &lt;linux/rtnetlink.h&gt;, &lt;linux/if_link.h&gt;, &lt;linux/veth.h&gt;,
/// &lt;linux/if_addr.h&gt;. Each value is checked against the system headers by NetlinkHeaderCheckTests (gcc).
/// </summary>
internal static class Rtnl
{
    // Sockets.
    public const int AF_UNSPEC = 0, AF_INET = 2, AF_BRIDGE = 7, AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const int SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;

    // Message types and flags (netlink.h).
    public const ushort NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    public const ushort NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
    public const ushort NLA_F_NESTED = 0x8000;
    public const ushort NLMSGERR_ATTR_MSG = 1;

    // rtnetlink message types.
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20, RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24, RTM_GETROUTE = 26;

    // Link attributes (if_link.h).
    public const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINK = 5, IFLA_MASTER = 10, IFLA_OPERSTATE = 16,
        IFLA_LINKINFO = 18, IFLA_STATS64 = 23, IFLA_NET_NS_FD = 28, IFLA_GSO_MAX_SIZE = 41;

    /// <summary>
    /// BIG TCP for IPv4 (Linux 6.3+): the largest GSO packet the device sends / GRO packet it builds for IPv4.
    /// Newer than the headers of Debian 12's linux-libc-dev (6.1), so NetlinkHeaderCheckTests cannot compare them;
    /// the values are those of include/uapi/linux/if_link.h since 6.3 (IFLA_ALLMULTI = 61, IFLA_DEVLINK_PORT = 62,
    /// then these two), and BridgeNetworkTests checks their effect (TCP sends packets larger than 64 KiB).
    /// Older kernels ignore attribute types they do not know.
    /// </summary>
    public const ushort IFLA_GSO_IPV4_MAX_SIZE = 63, IFLA_GRO_IPV4_MAX_SIZE = 64;
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, IFLA_INFO_SLAVE_KIND = 4, IFLA_INFO_SLAVE_DATA = 5;
    public const ushort IFLA_BRPORT_ISOLATED = 33;
    public const ushort VETH_INFO_PEER = 1;

    // Address attributes (if_addr.h).
    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;

    // Route attributes and values (rtnetlink.h).
    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_TABLE = 15;
    public const byte RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RTN_UNICAST = 1;

    // Interface flags (if.h).
    public const uint IFF_UP = 0x1;

    // nf_tables over nfnetlink (linux/netfilter/nfnetlink.h, nf_tables.h, netfilter.h): only reading counters and
    // looking up one chain.
    public const int NETLINK_NETFILTER = 12;
    public const byte NFPROTO_INET = 1, NFNETLINK_V0 = 0;
    public const ushort NFNL_SUBSYS_NFTABLES = 10, NFT_MSG_NEWCHAIN = 3, NFT_MSG_GETCHAIN = 4, NFT_MSG_NEWOBJ = 18, NFT_MSG_GETOBJ = 19;
    public const ushort NFTA_CHAIN_TABLE = 1, NFTA_CHAIN_NAME = 3;
    public const ushort NFTA_OBJ_TABLE = 1, NFTA_OBJ_NAME = 2, NFTA_OBJ_TYPE = 3, NFTA_OBJ_DATA = 4;
    public const ushort NFTA_COUNTER_BYTES = 1, NFTA_COUNTER_PACKETS = 2;
    public const uint NFT_OBJECT_COUNTER = 1;

    /// <summary>NLMSG_ALIGNTO / RTA_ALIGNTO.</summary>
    public const int Align = 4;

    public static int AlignUp(int n) => (n + Align - 1) & ~(Align - 1);
}
