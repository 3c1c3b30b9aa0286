using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace DevShell.Linux.Net.Rtnetlink;

/// <summary>Walks a run of netlink attributes. Malformed lengths end the walk instead of reading out of bounds.</summary>
internal ref struct NetlinkAttributes
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributes(ReadOnlySpan<byte> attributes)
    {
        _rest = attributes;
        Type = 0;
        Payload = default;
    }

    /// <summary>Attribute type with the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits removed.</summary>
    public ushort Type { get; private set; }

    public ReadOnlySpan<byte> Payload { get; private set; }

    public bool MoveNext()
    {
        int header = Unsafe.SizeOf<RtAttr>();
        if (_rest.Length < header)
        {
            return false;
        }

        RtAttr attr = MemoryMarshal.Read<RtAttr>(_rest);
        if (attr.Len < header || attr.Len > _rest.Length)
        {
            _rest = default;
            return false;
        }

        Type = (ushort)(attr.Type & 0x3fff);
        Payload = _rest[header..attr.Len];
        int next = Math.Min(Rtnl.AlignUp(attr.Len), _rest.Length);
        _rest = _rest[next..];
        return true;
    }

    public static uint U32(ReadOnlySpan<byte> payload) =>
        payload.Length >= 4 ? MemoryMarshal.Read<uint>(payload) : 0;

    /// <summary>A NUL-terminated string payload.</summary>
    public static string String(ReadOnlySpan<byte> payload)
    {
        int nul = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? payload[..nul] : payload);
    }
}
