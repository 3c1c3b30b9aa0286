using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Net.Rtnetlink;

/// <summary>A handler for one reply message: its type and the bytes after the nlmsghdr.</summary>
internal delegate void NetlinkMessageHandler(ushort type, ReadOnlySpan<byte> body);

/// <summary>
/// An AF_NETLINK/NETLINK_ROUTE socket. It belongs to the network namespace of the thread that opened it, for its
/// whole life, whichever thread uses it later. Not thread-safe: one request at a time.
/// </summary>
internal sealed class NetlinkSocket : IDisposable
{
    internal const int MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40;
    private static readonly int HeaderSize = Unsafe.SizeOf<NlMsgHdr>();
    private const int ReceiveSize = 64 * 1024;

    /// <summary>
    /// Receive buffers of disposed sockets, for the next socket (a launch opens about eight, at most two at once).
    /// A fresh 64 KiB array costs the GC new, page-faulted memory each time; a kept one costs nothing.
    /// </summary>
    private static readonly byte[]?[] SpareBuffers = new byte[]?[2];

    private byte[] _receive;
    private int _fd;
    private uint _seq;

    private NetlinkSocket(int fd)
    {
        _fd = fd;
        _seq = (uint)Environment.TickCount;
        _receive = TakeBuffer();
    }

    /// <summary>Opens a socket in the calling thread's network namespace (NETLINK_ROUTE unless told otherwise).</summary>
    public static NetlinkSocket Open(int protocol = Rtnl.NETLINK_ROUTE)
    {
        int fd = Sys.TrySocket(Rtnl.AF_NETLINK, LibC.SOCK_RAW, protocol, out int errno);
        if (fd < 0)
        {
            throw new SyscallException("socket", errno, $"opening a netlink socket (protocol {protocol})");
        }

        // Extended ACKs carry the kernel's reason text ("Invalid prefix length"); capped ACKs do not echo the request.
        // Both are optional (older kernels): ignore failures.
        _ = Sys.TrySetsockoptInt(fd, Rtnl.SOL_NETLINK, Rtnl.NETLINK_EXT_ACK, 1);
        _ = Sys.TrySetsockoptInt(fd, Rtnl.SOL_NETLINK, Rtnl.NETLINK_CAP_ACK, 1);
        return new NetlinkSocket(fd);
    }

    /// <summary>Sends a request with NLM_F_ACK and waits for the ACK; throws <see cref="SyscallException"/> on a NACK.</summary>
    public void Request(NetlinkWriter message, string what)
    {
        int errno = TryRequest(message, out string? detail);
        if (errno != 0)
        {
            throw Failure(errno, what, detail);
        }
    }

    /// <summary>Like <see cref="Request"/> but returns the errno (0 on success) for expected outcomes.</summary>
    public int TryRequest(NetlinkWriter message, out string? detail) =>
        Exchange(message, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, null, out detail);

    /// <summary>A GET for one object: the handler sees the reply. Returns 0 or the errno (ENODEV: no such link).</summary>
    public int TryGet(NetlinkWriter message, NetlinkMessageHandler handler, out string? detail) =>
        Exchange(message, Rtnl.NLM_F_REQUEST, handler, out detail);

    /// <summary>A dump: the handler sees every object. Retried when the kernel says the dump was interrupted.</summary>
    public void Dump(Func<NetlinkWriter> message, NetlinkMessageHandler handler, string what)
    {
        for (int attempt = 0; ; attempt++)
        {
            bool interrupted = false;
            int errno = Exchange(
                message(),
                Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP,
                handler,
                out string? detail,
                () => interrupted = true);
            if (errno != 0)
            {
                throw Failure(errno, what, detail);
            }

            if (!interrupted || attempt == 2)
            {
                return;
            }
        }
    }

    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers; returns the first.</summary>
    public uint ReserveSeq(int count)
    {
        uint first = _seq + 1;
        _seq += (uint)count;
        return first;
    }

    /// <summary>
    /// Sends a prepared nfnetlink batch (messages already numbered, those in <paramref name="acked"/> with
    /// NLM_F_ACK) and collects the replies. The kernel processes a batch inside the send call, so every reply is
    /// queued when it returns: the socket is drained without blocking. Returns 0 when every acked message was
    /// acknowledged, else the errno of the first failure with the sequence number it names (0 if none).
    /// </summary>
    public int TrySendBatch(ReadOnlySpan<byte> batch, IReadOnlySet<uint> acked, out uint failedSeq, out string? detail)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        failedSeq = 0;
        detail = null;
        if (Sys.TrySend(_fd, batch, 0, out int errno) < 0)
        {
            return errno;
        }

        var pending = new HashSet<uint>(acked);
        int first = 0;
        while (true)
        {
            errno = Receive(MSG_DONTWAIT, out ReadOnlySpan<byte> rest);
            if (errno == Errno.EAGAIN)
            {
                break;
            }

            if (errno != 0)
            {
                return first != 0 && errno != Errno.ENOSPC ? first : errno;
            }

            while (rest.Length >= HeaderSize)
            {
                if (!NextMessage(ref rest, out NlMsgHdr h, out ReadOnlySpan<byte> body))
                {
                    return Errno.EIO;
                }

                if (h.Type != Rtnl.NLMSG_ERROR)
                {
                    continue;
                }

                int error = ParseError(body, h.Flags, out string? text);
                pending.Remove(h.Seq);
                if (error != 0 && first == 0)
                {
                    first = error;
                    failedSeq = h.Seq;
                    detail = text;
                }
            }
        }

        return first != 0 ? first : pending.Count == 0 ? 0 : Errno.EIO;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0)
        {
            return;
        }

        Sys.Close(fd);
        ReturnBuffer(_receive);
    }

    private static byte[] TakeBuffer()
    {
        for (int i = 0; i < SpareBuffers.Length; i++)
        {
            if (Interlocked.Exchange(ref SpareBuffers[i], null) is { } spare)
            {
                return spare;
            }
        }

        // Every byte is written by recv before it is read: no need to clear it.
        return GC.AllocateUninitializedArray<byte>(ReceiveSize);
    }

    private static void ReturnBuffer(byte[] buffer)
    {
        for (int i = 0; i < SpareBuffers.Length; i++)
        {
            if (Interlocked.CompareExchange(ref SpareBuffers[i], buffer, null) is null)
            {
                return;
            }
        }
    }

    private static SyscallException Failure(int errno, string what, string? detail) =>
        new("netlink", errno, detail is null ? what : $"{what} (kernel: {detail})");

    private int Exchange(
        NetlinkWriter message,
        ushort flags,
        NetlinkMessageHandler? handler,
        out string? detail,
        Action? onInterrupted = null)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        detail = null;
        uint seq = ++_seq;
        ReadOnlySpan<byte> bytes = message.Finish(seq, flags);
        if (Sys.TrySend(_fd, bytes, 0, out int errno) < 0)
        {
            return errno;
        }

        bool ack = (flags & Rtnl.NLM_F_ACK) != 0;
        bool dump = (flags & Rtnl.NLM_F_DUMP) == Rtnl.NLM_F_DUMP;
        while (true)
        {
            errno = Receive(0, out ReadOnlySpan<byte> rest);
            if (errno != 0)
            {
                return errno;
            }

            while (rest.Length >= HeaderSize)
            {
                if (!NextMessage(ref rest, out NlMsgHdr h, out ReadOnlySpan<byte> body))
                {
                    return Errno.EIO;
                }

                if (h.Seq != seq)
                {
                    continue; // a late reply to an earlier request
                }

                if ((h.Flags & Rtnl.NLM_F_DUMP_INTR) != 0)
                {
                    onInterrupted?.Invoke();
                }

                switch (h.Type)
                {
                    case Rtnl.NLMSG_ERROR:
                        return ParseError(body, h.Flags, out detail);
                    case Rtnl.NLMSG_DONE:
                        return 0;
                    case Rtnl.NLMSG_NOOP:
                        continue;
                    default:
                        handler?.Invoke(h.Type, body);
                        if (!ack && !dump)
                        {
                            return 0;
                        }

                        break;
                }
            }
        }
    }

    /// <summary>
    /// Receives one datagram into the shared buffer: 0 with its bytes in <paramref name="data"/>, or the errno
    /// (ENOSPC when it was larger than the buffer: MSG_TRUNC reports the real length).
    /// </summary>
    private int Receive(int flags, out ReadOnlySpan<byte> data)
    {
        data = default;
        long n = Sys.TryRecv(_fd, _receive, MSG_TRUNC | flags, out int errno);
        if (n < 0)
        {
            return errno;
        }

        if (n > _receive.Length)
        {
            return Errno.ENOSPC;
        }

        data = _receive.AsSpan(0, (int)n);
        return 0;
    }

    /// <summary>
    /// Takes the next message off the front of <paramref name="rest"/> (at least <see cref="HeaderSize"/> bytes):
    /// its header and the bytes after it. False when its length does not fit what is left: malformed.
    /// </summary>
    private static bool NextMessage(ref ReadOnlySpan<byte> rest, out NlMsgHdr h, out ReadOnlySpan<byte> body)
    {
        body = default;
        h = MemoryMarshal.Read<NlMsgHdr>(rest);
        if (h.Len < HeaderSize || h.Len > rest.Length)
        {
            return false;
        }

        body = rest[HeaderSize..(int)h.Len];
        rest = rest[Math.Min(Rtnl.AlignUp((int)h.Len), rest.Length)..];
        return true;
    }

    private static int ParseError(ReadOnlySpan<byte> body, ushort flags, out string? detail)
    {
        detail = null;
        if (body.Length < sizeof(int))
        {
            return Errno.EIO;
        }

        int error = MemoryMarshal.Read<int>(body);
        if (error == 0 || (flags & Rtnl.NLM_F_ACK_TLVS) == 0)
        {
            return -error;
        }

        // With NETLINK_CAP_ACK the request is not echoed: nlmsgerr (error + header), then TLVs. Without it the
        // whole request follows the header; its length is in the echoed header.
        int skip = Unsafe.SizeOf<NlMsgErr>();
        if ((flags & Rtnl.NLM_F_CAPPED) == 0 && body.Length >= skip)
        {
            NlMsgHdr echoed = MemoryMarshal.Read<NlMsgHdr>(body[sizeof(int)..]);
            skip = sizeof(int) + Rtnl.AlignUp((int)echoed.Len);
        }

        if (skip <= body.Length)
        {
            var attrs = new NetlinkAttributes(body[skip..]);
            while (attrs.MoveNext())
            {
                if (attrs.Type == Rtnl.NLMSGERR_ATTR_MSG)
                {
                    detail = NetlinkAttributes.String(attrs.Payload);
                }
            }
        }

        return -error;
    }
}
