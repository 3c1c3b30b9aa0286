using DevShell.Core.Networking;

namespace DevShell.Linux.Net;

/// <summary>Chooses the DevShell bridge subnet: the first candidate that overlaps no host route.</summary>
public static class SubnetPicker
{
    /// <summary>Tried in order. Uncommon /16s, so they rarely clash with home, office or VPN networks.</summary>
    public static readonly IReadOnlyList<Ipv4Cidr> DefaultCandidates =
    [
        Ipv4Cidr.Parse("10.213.0.0/16"),
        Ipv4Cidr.Parse("10.214.0.0/16"),
        Ipv4Cidr.Parse("10.215.0.0/16"),
        Ipv4Cidr.Parse("172.29.0.0/16"),
        Ipv4Cidr.Parse("192.168.213.0/24"),
    ];

    /// <summary>
    /// The first of <paramref name="candidates"/> that overlaps none of <paramref name="routes"/>. Default routes
    /// (prefix 0) overlap everything and are ignored; so are routes on <paramref name="ownBridge"/> (the DevShell
    /// bridge's own connected route must not push its subnet aside). Null if every candidate is taken.
    /// </summary>
    public static Ipv4Cidr? Pick(IEnumerable<HostRoute> routes, IEnumerable<Ipv4Cidr>? candidates = null, string? ownBridge = null)
    {
        var taken = routes
            .Where(r => r.Destination.PrefixLength > 0 && r.Interface != ownBridge)
            .Select(r => r.Destination)
            .ToList();
        foreach (Ipv4Cidr candidate in candidates ?? DefaultCandidates)
        {
            if (!taken.Any(t => Overlaps(t, candidate)))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>True if the two networks share any address.</summary>
    public static bool Overlaps(Ipv4Cidr a, Ipv4Cidr b)
    {
        int prefix = Math.Min(a.PrefixLength, b.PrefixLength);
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return (a.Network & mask) == (b.Network & mask);
    }
}
