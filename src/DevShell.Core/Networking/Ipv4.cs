using System.Globalization;

namespace DevShell.Core.Networking;

/// <summary>Strict dotted-quad IPv4 parsing and formatting (no "1", "010.0.0.1", "0x7f.1" forms that IPAddress accepts).</summary>
public static class Ipv4
{
    /// <summary>Parses "a.b.c.d" with four decimal octets 0..255 and no leading zeros.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var octets = 0;
        while (true)
        {
            var dot = text.IndexOf('.');
            var part = dot < 0 ? text : text[..dot];
            if (part.IsEmpty || part.Length > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            octets++;
            if (dot < 0)
            {
                return octets == 4;
            }

            if (octets == 4)
            {
                return false;
            }

            text = text[(dot + 1)..];
        }
    }

    /// <summary>Formats an address as "a.b.c.d".</summary>
    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}");
}
