using System.Buffers.Binary;
using System.Globalization;
using DevShell.Core.Networking;

namespace DevShell.Linux.Net;

/// <summary>One IPv4 route of the host's main table, as /proc/net/route lists it.</summary>
public readonly record struct HostRoute(string Interface, Ipv4Cidr Destination, uint Gateway);

/// <summary>Reads &lt;procRoot&gt;/net/route (the main routing table of the reader's network namespace).</summary>
public static class HostRoutes
{
    public static IReadOnlyList<HostRoute> Read(string procRoot = "/proc") =>
        Parse(SmallFile.ReadText(Path.Combine(procRoot, "net", "route")));

    /// <summary>
    /// The interfaces of the default routes (destination and mask 0) in a /proc/net/route text, in order. Every launch
    /// needs only these (for the uplink MTU): one pass over the text without splitting it into strings or building
    /// CIDRs, which on a cold process cost more than reading the file.
    /// </summary>
    public static List<string> DefaultRouteInterfaces(string text)
    {
        var interfaces = new List<string>();
        bool header = true;
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (header)
            {
                header = false;
                continue;
            }

            // Fields: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
            ReadOnlySpan<char> rest = line;
            string iface = "";
            bool wellFormed = true, isDefault = false;
            int field = 0;
            while (field <= 7 && NextField(ref rest, out ReadOnlySpan<char> value))
            {
                switch (field)
                {
                    case 0:
                        iface = value.ToString();
                        break;
                    case 1 or 2:
                        wellFormed &= IsHex(value);
                        break;
                    case 7:
                        wellFormed &= IsHex(value);
                        isDefault = value.SequenceEqual("00000000");
                        break;
                }

                field++;
            }

            // As Parse: a route whose mask is 0 has prefix length 0, whatever its destination says.
            if (field == 8 && wellFormed && isDefault)
            {
                interfaces.Add(iface);
            }
        }

        return interfaces;
    }

    private static bool IsHex(ReadOnlySpan<char> field) =>
        field.Length == 8 && uint.TryParse(field, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);

    private static bool NextField(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> value)
    {
        int start = 0;
        while (start < rest.Length && rest[start] is ' ' or '\t')
        {
            start++;
        }

        int end = start;
        while (end < rest.Length && rest[end] is not (' ' or '\t'))
        {
            end++;
        }

        value = rest[start..end];
        rest = rest[end..];
        return !value.IsEmpty;
    }

    /// <summary>
    /// Parses the text of /proc/net/route: a header line, then "Iface Destination Gateway Flags RefCnt Use Metric
    /// Mask ..." with addresses as 8 hex digits in the kernel's (network) byte order printed as a host-order int —
    /// on little-endian machines "0100A8C0" is 192.168.0.1. Malformed lines are skipped.
    /// </summary>
    public static IReadOnlyList<HostRoute> Parse(string text)
    {
        var routes = new List<HostRoute>();
        foreach (string line in text.Split('\n').Skip(1))
        {
            string[] f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8
                || !TryHex(f[1], out uint destination)
                || !TryHex(f[2], out uint gateway)
                || !TryHex(f[7], out uint mask))
            {
                continue;
            }

            int prefix = System.Numerics.BitOperations.PopCount(mask);
            if (!Ipv4Cidr.TryParse($"{Ipv4.Format(destination & mask)}/{prefix}", out Ipv4Cidr cidr, out _))
            {
                continue;
            }

            routes.Add(new HostRoute(f[0], cidr, gateway));
        }

        return routes;
    }

    private static bool TryHex(string field, out uint address)
    {
        address = 0;
        if (field.Length != 8 || !uint.TryParse(field, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint raw))
        {
            return false;
        }

        // The kernel prints the __be32 as a native int: on little-endian hosts the bytes come out reversed.
        address = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
        return true;
    }
}
