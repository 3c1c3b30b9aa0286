using System.Globalization;

namespace DevShell.Core.Networking;

/// <summary>An IPv4 network "a.b.c.d/len" whose host bits are zero, e.g. 10.77.0.0/24.</summary>
public readonly record struct Ipv4Cidr
{
    private Ipv4Cidr(uint network, int prefixLength)
    {
        Network = network;
        PrefixLength = prefixLength;
    }

    /// <summary>The network address (host bits zero).</summary>
    public uint Network { get; }

    /// <summary>Prefix length 0..32.</summary>
    public int PrefixLength { get; }

    /// <summary>The netmask, e.g. 0xffffff00 for /24.</summary>
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    /// <summary>The broadcast address (all host bits set).</summary>
    public uint Broadcast => Network | ~Mask;

    /// <summary>The conventional gateway: the first host address (network + 1).</summary>
    public uint Gateway => Network + 1;

    /// <summary>True if <paramref name="address"/> lies inside this network.</summary>
    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>Parses "a.b.c.d/len"; a bare address means /32. Host bits must be zero.</summary>
    public static bool TryParse(string? text, out Ipv4Cidr cidr, out string problem)
    {
        cidr = default;
        problem = "is not an IPv4 CIDR (use e.g. 10.0.0.0/8)";
        if (string.IsNullOrEmpty(text) || text.Length > 18)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text.AsSpan() : text.AsSpan(0, slash);
        if (!Ipv4.TryParse(addressText, out var address))
        {
            return false;
        }

        var length = 32;
        if (slash >= 0)
        {
            var lengthText = text.AsSpan(slash + 1);
            if (lengthText.IsEmpty || lengthText.Length > 2 || (lengthText.Length > 1 && lengthText[0] == '0')
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length))
            {
                return false;
            }

            if (length > 32)
            {
                problem = $"has prefix length {length}; IPv4 allows 0..32";
                return false;
            }
        }

        var candidate = new Ipv4Cidr(address, length);
        if ((address & candidate.Mask) != address)
        {
            var network = new Ipv4Cidr(address & candidate.Mask, length);
            problem = $"has host bits set (did you mean {network}?)";
            return false;
        }

        cidr = candidate;
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>.</summary>
    public static Ipv4Cidr Parse(string text) =>
        TryParse(text, out var cidr, out var problem) ? cidr : throw new FormatException($"\"{text}\" {problem}");

    /// <summary>"a.b.c.d/len".</summary>
    public override string ToString() => Ipv4.Format(Network) + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);
}
