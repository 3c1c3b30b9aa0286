using System.Globalization;

namespace DevShell.Core.Units;

/// <summary>
/// Human byte sizes as used in profiles ("512M", "2G", "1.5G", "64K", "1024").
/// </summary>
/// <remarks>
/// Rules, chosen to match what developers type for Docker and systemd:
/// <list type="bullet">
/// <item>All multiples are binary: K = 1024, M = 1024², G = 1024³, T = 1024⁴, P = 1024⁵.</item>
/// <item>A unit may be followed by "i", "iB" or "B" and is case-insensitive: 512M, 512m, 512MB, 512MiB, 512Mi all mean 512 × 1024².</item>
/// <item>No unit, or "B" alone, means bytes; bytes must be whole ("1.5" is rejected, "1.5K" is 1536).</item>
/// <item>A fraction is allowed with a unit and is rounded down to whole bytes.</item>
/// <item>Rejected: empty text, whitespace, signs (so negatives), exponents, hex, commas, and anything above <see cref="long.MaxValue"/>.</item>
/// </list>
/// </remarks>
public static class Size
{
    /// <summary>The message fragment used when text is not a size; callers prefix the field and value.</summary>
    public const string NotASizeMessage = "is not a size (use e.g. 512M, 2G)";

    private const int MaxTextLength = 40;
    private static readonly string[] Units = ["", "K", "M", "G", "T", "P", "E"];

    /// <summary>Parses a size; throws <see cref="FormatException"/> whose message reads <c>"12XB" is not a size (use e.g. 512M, 2G)</c>.</summary>
    public static long Parse(string text)
    {
        if (TryParse(text, out var bytes, out var problem))
        {
            return bytes;
        }

        throw new FormatException($"{Quote(text)} {problem}");
    }

    /// <summary>Parses a size into bytes.</summary>
    /// <param name="text">The text, e.g. "1.5G".</param>
    /// <param name="bytes">The size in bytes when the result is true.</param>
    /// <param name="problem">When false: a fragment to follow the quoted value, e.g. "is not a size (use e.g. 512M, 2G)".</param>
    public static bool TryParse(string? text, out long bytes, out string problem)
    {
        bytes = 0;
        problem = NotASizeMessage;
        if (string.IsNullOrEmpty(text) || text.Length > MaxTextLength)
        {
            return false;
        }

        var i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var integerDigits = i;
        if (integerDigits == 0)
        {
            problem = text[0] == '-' ? "is negative; sizes must be positive (use e.g. 512M, 2G)" : NotASizeMessage;
            return false;
        }

        var fractionDigits = 0;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            var fractionStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            fractionDigits = i - fractionStart;
            if (fractionDigits == 0)
            {
                return false;
            }
        }

        if (!TryParseUnit(text.AsSpan(i), out var power))
        {
            return false;
        }

        if (fractionDigits > 0 && power == 0)
        {
            problem = "is a fraction of a byte (use whole bytes or a unit, e.g. 1.5K)";
            return false;
        }

        var number = text.AsSpan(0, integerDigits + (fractionDigits > 0 ? fractionDigits + 1 : 0));
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            problem = TooLargeMessage;
            return false;
        }

        try
        {
            var scaled = decimal.Floor(value * Pow1024(power));
            if (scaled > long.MaxValue)
            {
                problem = TooLargeMessage;
                return false;
            }

            bytes = (long)scaled;
            return true;
        }
        catch (OverflowException)
        {
            problem = TooLargeMessage;
            return false;
        }
    }

    private const string TooLargeMessage = "is too large (at most 8E, i.e. 2^63-1 bytes)";

    /// <summary>
    /// Formats bytes for people: the largest unit with at most one decimal, e.g. 512M, 1.5G, 64K, 900B.
    /// The result is short and parseable, but rounded; use <see cref="FormatExact"/> to round-trip.
    /// </summary>
    public static string Format(long bytes)
    {
        if (bytes < 0)
        {
            return bytes == long.MinValue ? "-8E" : "-" + Format(-bytes);
        }

        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        }

        var power = 0;
        var value = (double)bytes;
        while (value >= 1024 && power < Units.Length - 1)
        {
            value /= 1024;
            power++;
        }

        var rounded = Math.Round(value, 1, MidpointRounding.AwayFromZero);
        if (rounded >= 1024 && power < Units.Length - 1)
        {
            rounded = Math.Round(rounded / 1024, 1, MidpointRounding.AwayFromZero);
            power++;
        }

        return rounded.ToString("0.#", CultureInfo.InvariantCulture) + Units[power];
    }

    /// <summary>Formats bytes exactly in the largest unit that divides them, e.g. 536870912 → "512M", 1536 → "1536".</summary>
    public static string FormatExact(long bytes)
    {
        if (bytes <= 0)
        {
            return bytes.ToString(CultureInfo.InvariantCulture);
        }

        var power = 0;
        while (power < Units.Length - 1 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            power++;
        }

        return bytes.ToString(CultureInfo.InvariantCulture) + Units[power];
    }

    /// <summary>Formats a byte rate, e.g. 1.5M/s.</summary>
    public static string FormatRate(double bytesPerSecond)
    {
        if (double.IsNaN(bytesPerSecond) || double.IsInfinity(bytesPerSecond))
        {
            return "?/s";
        }

        return Format((long)Math.Round(Math.Clamp(bytesPerSecond, long.MinValue, long.MaxValue))) + "/s";
    }

    private static bool TryParseUnit(ReadOnlySpan<char> unit, out int power)
    {
        power = 0;
        if (unit.IsEmpty || unit is "B" or "b")
        {
            return true;
        }

        power = char.ToUpperInvariant(unit[0]) switch
        {
            'K' => 1,
            'M' => 2,
            'G' => 3,
            'T' => 4,
            'P' => 5,
            _ => -1,
        };
        if (power < 0)
        {
            return false;
        }

        var rest = unit[1..];
        return rest.IsEmpty
            || rest.Equals("i", StringComparison.OrdinalIgnoreCase)
            || rest.Equals("b", StringComparison.OrdinalIgnoreCase)
            || rest.Equals("ib", StringComparison.OrdinalIgnoreCase);
    }

    private static decimal Pow1024(int power)
    {
        decimal result = 1;
        for (var i = 0; i < power; i++)
        {
            result *= 1024;
        }

        return result;
    }

    private static string Quote(string? text) => text is null ? "null" : "\"" + text + "\"";
}
