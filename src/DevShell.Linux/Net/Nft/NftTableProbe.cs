using DevShell.Linux.Interop;
using DevShell.Linux.Net.Rtnetlink;

namespace DevShell.Linux.Net.Nft;

/// <summary>
/// Looks up one chain of an inet table straight from the kernel (NFT_MSG_GETCHAIN over nfnetlink, not a dump): tens
/// of microseconds, whatever the table holds, where a libnftables call first lists the table into its cache. A
/// launch uses it to see whether the table's base chains are already what this DevShell would write.
/// </summary>
internal static class NftTableProbe
{
    /// <summary>True if table inet <paramref name="table"/> has a chain named <paramref name="chain"/>.</summary>
    public static bool HasChain(string table, string chain)
    {
        using NetlinkSocket socket = NetlinkSocket.Open(Rtnl.NETLINK_NETFILTER);
        var m = new NetlinkWriter((ushort)((Rtnl.NFNL_SUBSYS_NFTABLES << 8) | Rtnl.NFT_MSG_GETCHAIN), 0);
        m.Write(new NfGenMsg { Family = Rtnl.NFPROTO_INET, Version = Rtnl.NFNETLINK_V0 });
        m.AttrString(Rtnl.NFTA_CHAIN_TABLE, table);
        m.AttrString(Rtnl.NFTA_CHAIN_NAME, chain);
        bool found = false;
        int errno = socket.TryGet(
            m,
            (type, _) => found |= type == ((Rtnl.NFNL_SUBSYS_NFTABLES << 8) | Rtnl.NFT_MSG_NEWCHAIN),
            out string? detail);
        if (errno == Errno.ENOENT)
        {
            return false;
        }

        if (errno != 0)
        {
            throw new SyscallException("netlink", errno,
                $"looking up chain {chain} of nftables table inet {table}{(detail is null ? "" : $" (kernel: {detail})")}");
        }

        return found;
    }
}
