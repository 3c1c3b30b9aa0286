using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DevShell.Linux.Interop;
using DevShell.Linux.Net.Rtnetlink;

namespace DevShell.Linux.Net;

/// <summary>
/// Connection-tracking entries of the calling thread's network namespace, over ctnetlink (no conntrack tool).
/// A published UDP port needs it: a client that keeps sending to 127.0.0.1:PORT keeps its conntrack entry alive, and
/// that entry still carries the NAT decision of when it was made (the address of a previous env of that port, or no
/// NAT at all if nothing was published then), so the new env would never see those packets until the client paused
/// for the UDP timeout. Removing the entries when an env publishes the port makes the next packet take the new rule.
/// </summary>
internal static class Conntrack
{
    internal const ushort NFNL_SUBSYS_CTNETLINK = 1, IPCTNL_MSG_CT_NEW = 0, IPCTNL_MSG_CT_GET = 1, IPCTNL_MSG_CT_DELETE = 2;
    internal const ushort CTA_TUPLE_ORIG = 1, CTA_ZONE = 18;
    internal const ushort CTA_TUPLE_IP = 1, CTA_TUPLE_PROTO = 2;
    internal const ushort CTA_IP_V4_DST = 2;
    internal const ushort CTA_PROTO_NUM = 1, CTA_PROTO_DST_PORT = 3;
    private const byte IPPROTO_UDP = 17;
    private const uint Loopback = 0x7f000001;

    /// <summary>
    /// Deletes every IPv4 UDP entry whose original direction went to 127.0.0.1:<paramref name="port"/> (what the
    /// published-port rule translates). Returns how many it deleted; an entry that expired meanwhile is not an error.
    /// </summary>
    public static int FlushUdpToLoopback(int port)
    {
        using NetlinkSocket socket = NetlinkSocket.Open(Rtnl.NETLINK_NETFILTER);
        var doomed = new List<byte[]>();
        socket.Dump(
            () => Message(IPCTNL_MSG_CT_GET),
            (type, body) =>
            {
                if (type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW) && Matches(body, port, out byte[]? key))
                {
                    doomed.Add(key!);
                }
            },
            $"listing conntrack entries of UDP port {port}");

        int deleted = 0;
        foreach (byte[] key in doomed)
        {
            deleted += Delete(socket, key, port) ? 1 : 0;
        }

        return deleted;
    }

    private static bool Delete(NetlinkSocket socket, byte[] key, int port)
    {
        var m = Message(IPCTNL_MSG_CT_DELETE);
        m.Raw(key);
        int errno = socket.TryRequest(m, out string? detail);
        if (errno is 0)
        {
            return true;
        }

        if (errno == Errno.ENOENT)
        {
            return false;
        }

        throw new SyscallException("netlink", errno,
            $"deleting a conntrack entry of UDP port {port}{(detail is null ? "" : $" (kernel: {detail})")}");
    }

    private static NetlinkWriter Message(ushort type)
    {
        var m = new NetlinkWriter((ushort)((NFNL_SUBSYS_CTNETLINK << 8) | type), 0);
        m.Write(new NfGenMsg { Family = Rtnl.AF_INET, Version = Rtnl.NFNETLINK_V0 });
        return m;
    }

    /// <summary>
    /// True if the entry's original tuple is UDP to 127.0.0.1:<paramref name="port"/>; <paramref name="key"/> is then
    /// its CTA_TUPLE_ORIG (and CTA_ZONE) attributes as the kernel sent them, which is what a delete names.
    /// </summary>
    private static bool Matches(ReadOnlySpan<byte> body, int port, out byte[]? key)
    {
        key = null;
        int header = Rtnl.AlignUp(Unsafe.SizeOf<NfGenMsg>());
        if (body.Length < header)
        {
            return false;
        }

        bool udp = false, toPort = false, toLoopback = false;
        var keep = new List<byte>();
        int offset = header;
        var attrs = new NetlinkAttributes(body[header..]);
        while (attrs.MoveNext())
        {
            int length = Unsafe.SizeOf<RtAttr>() + attrs.Payload.Length;
            if (attrs.Type is CTA_TUPLE_ORIG or CTA_ZONE)
            {
                keep.AddRange(body.Slice(offset, length));
                keep.AddRange(new byte[Rtnl.AlignUp(length) - length]);
            }

            if (attrs.Type == CTA_TUPLE_ORIG)
            {
                var tuple = new NetlinkAttributes(attrs.Payload);
                while (tuple.MoveNext())
                {
                    var inner = new NetlinkAttributes(tuple.Payload);
                    while (inner.MoveNext())
                    {
                        switch (tuple.Type, inner.Type)
                        {
                            case (CTA_TUPLE_IP, CTA_IP_V4_DST) when inner.Payload.Length == 4:
                                toLoopback = BinaryPrimitives.ReadUInt32BigEndian(inner.Payload) == Loopback;
                                break;
                            case (CTA_TUPLE_PROTO, CTA_PROTO_NUM) when inner.Payload.Length >= 1:
                                udp = inner.Payload[0] == IPPROTO_UDP;
                                break;
                            case (CTA_TUPLE_PROTO, CTA_PROTO_DST_PORT) when inner.Payload.Length == 2:
                                toPort = BinaryPrimitives.ReadUInt16BigEndian(inner.Payload) == port;
                                break;
                        }
                    }
                }
            }

            offset += Rtnl.AlignUp(length);
        }

        if (udp && toPort && toLoopback && keep.Count > 0)
        {
            key = [.. keep];
            return true;
        }

        return false;
    }
}
