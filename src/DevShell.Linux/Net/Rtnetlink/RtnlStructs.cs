using System.Runtime.InteropServices;

namespace DevShell.Linux.Net.Rtnetlink;

// Hand-laid copies of the kernel's netlink structs, host byte order. Sizes and offsets are checked against the
// system headers by NetlinkHeaderCheckTests (it compiles a C program with gcc and compares).

/// <summary>struct nlmsghdr (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgHdr
{
    public uint Len;
    public ushort Type;
    public ushort Flags;
    public uint Seq;
    public uint Pid;
}

/// <summary>struct nlmsgerr: the error code (negative errno, 0 for an ACK) and the request's header.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgErr
{
    public int Error;
    public NlMsgHdr Msg;
}

/// <summary>struct rtattr / nlattr header (4 bytes); the payload follows, padded to 4.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtAttr
{
    public ushort Len;
    public ushort Type;
}

/// <summary>struct ifinfomsg (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    public byte Family;
    public byte Pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;
}

/// <summary>struct ifaddrmsg (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLen;
    public byte Flags;
    public byte Scope;
    public uint Index;
}

/// <summary>struct rtmsg (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtMsg
{
    public byte Family;
    public byte DstLen;
    public byte SrcLen;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;
}

/// <summary>
/// The leading fields of struct rtnl_link_stats64 that DevShell reads. The kernel's struct is longer and grows
/// between versions; readers take what the attribute holds.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtnlLinkStats64Head
{
    public ulong RxPackets;
    public ulong TxPackets;
    public ulong RxBytes;
    public ulong TxBytes;
    public ulong RxErrors;
    public ulong TxErrors;
    public ulong RxDropped;
    public ulong TxDropped;
}

/// <summary>struct nfgenmsg (4 bytes): family, version, resource id (big-endian).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NfGenMsg
{
    public byte Family;
    public byte Version;
    public ushort ResId;
}
