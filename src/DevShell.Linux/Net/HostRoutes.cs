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
        Parse(File.ReadAllText(Path.Combine(procRoot, "net", "route")));

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
