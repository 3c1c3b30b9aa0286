using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace DevShell.Linux.Net.Rtnetlink;

/// <summary>
/// Builds one netlink request: header, fixed struct, then attributes (4-byte aligned, nested attributes carry
/// NLA_F_NESTED). Host byte order except for addresses, which callers pass as network-order bytes.
/// </summary>
internal sealed class NetlinkWriter
{
    private byte[] _buffer = new byte[512];
    private int _length;

    /// <summary>Starts a message; the length is filled in by <see cref="Finish"/>.</summary>
    public NetlinkWriter(ushort type, ushort flags)
    {
        var header = new NlMsgHdr { Type = type, Flags = flags };
        Write(header);
    }

    public int Length => _length;

    /// <summary>Appends a fixed-layout struct (ifinfomsg, ifaddrmsg, rtmsg) padded to 4 bytes.</summary>
    public void Write<T>(in T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        Span<byte> dst = Reserve(Rtnl.AlignUp(size));
        MemoryMarshal.Write(dst, in value);
    }

    public void Attr(ushort type, ReadOnlySpan<byte> payload)
    {
        int len = Unsafe.SizeOf<RtAttr>() + payload.Length;
        Span<byte> dst = Reserve(Rtnl.AlignUp(len));
        MemoryMarshal.Write(dst, new RtAttr { Len = (ushort)len, Type = type });
        payload.CopyTo(dst[Unsafe.SizeOf<RtAttr>()..]);
    }

    /// <summary>Attributes already encoded (e.g. copied from a dump reply), padded to the netlink alignment.</summary>
    public void Raw(ReadOnlySpan<byte> attributes)
    {
        Span<byte> dst = Reserve(Rtnl.AlignUp(attributes.Length));
        attributes.CopyTo(dst);
    }

    public void AttrU32(ushort type, uint value) =>
        Attr(type, MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in value)));

    public void AttrU8(ushort type, byte value) => Attr(type, [value]);

    /// <summary>A u32 in network byte order (nf_tables attributes are big-endian).</summary>
    public void AttrBe32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Attr(type, bytes);
    }

    /// <summary>A u64 in network byte order.</summary>
    public void AttrBe64(ushort type, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Attr(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).</summary>
    public void AttrString(ushort type, string value)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length) + 1];
        int n = Encoding.UTF8.GetBytes(value, bytes);
        bytes[n] = 0;
        Attr(type, bytes[..(n + 1)]);
    }

    /// <summary>Opens a nested attribute; pass the returned offset to <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int offset = _length;
        Span<byte> dst = Reserve(Unsafe.SizeOf<RtAttr>());
        MemoryMarshal.Write(dst, new RtAttr { Len = 0, Type = (ushort)(type | Rtnl.NLA_F_NESTED) });
        return offset;
    }

    public void EndNested(int offset)
    {
        ref RtAttr attr = ref MemoryMarshal.AsRef<RtAttr>(_buffer.AsSpan(offset));
        attr.Len = (ushort)(_length - offset);
    }

    /// <summary>Sets the sequence number, adds <paramref name="flags"/>, fills in the length; returns the bytes.</summary>
    public ReadOnlySpan<byte> Finish(uint seq, ushort flags)
    {
        ref NlMsgHdr header = ref MemoryMarshal.AsRef<NlMsgHdr>(_buffer.AsSpan());
        header.Len = (uint)_length;
        header.Seq = seq;
        header.Flags |= flags;
        return _buffer.AsSpan(0, _length);
    }

    private Span<byte> Reserve(int n)
    {
        if (_length + n > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        }

        Span<byte> span = _buffer.AsSpan(_length, n);
        span.Clear();
        _length += n;
        return span;
    }
}
