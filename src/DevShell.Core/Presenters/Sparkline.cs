namespace DevShell.Core.Presenters;

/// <summary>
/// Tiny charts made of block characters, for table cells: a sparkline of recent values
/// (▁▂▃▄▅▆▇█, newest on the right) and a horizontal bar in eighths (█▉▊▋▌▍▎▏).
/// </summary>
public static class Sparkline
{
    /// <summary>The eight levels, lowest first.</summary>
    public const string Levels = "▁▂▃▄▅▆▇█";

    private const string Eighths = " ▏▎▍▌▋▊▉";

    /// <summary>
    /// Renders the last <paramref name="width"/> values, newest on the right, each scaled against
    /// <paramref name="max"/>: 0 (or less) is ▁, <paramref name="max"/> (or more) is █, levels between rounded to the nearest.
    /// When there are fewer values than <paramref name="width"/>, the left is padded with spaces so the newest
    /// value always sits in the same column. NaN values (gaps) are drawn as spaces. A non-positive or NaN
    /// <paramref name="max"/> draws every value at the lowest level.
    /// </summary>
    public static string Render(IReadOnlyList<double> values, int width, double max)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (width <= 0)
        {
            return "";
        }

        var chars = new char[width];
        var shown = Math.Min(width, values.Count);
        var pad = width - shown;
        for (var i = 0; i < pad; i++)
        {
            chars[i] = ' ';
        }

        for (var i = 0; i < shown; i++)
        {
            var value = values[values.Count - shown + i];
            chars[pad + i] = double.IsNaN(value) ? ' ' : Levels[Level(value, max)];
        }

        return new string(chars);
    }

    /// <summary>The level 0..7 of <paramref name="value"/> on a scale of 0..<paramref name="max"/>.</summary>
    public static int Level(double value, double max)
    {
        if (!(max > 0) || double.IsNaN(value) || value <= 0)
        {
            return 0;
        }

        var fraction = Math.Min(1, value / max);
        return (int)Math.Round(fraction * (Levels.Length - 1), MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// The scale for a series: the limit when there is one (so a full chart means "at the limit"),
    /// otherwise the largest value seen, but never below <paramref name="floor"/> (so idle noise stays flat).
    /// </summary>
    public static double ScaleFor(IReadOnlyList<double> values, double? limit, double floor)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (limit is > 0)
        {
            return limit.Value;
        }

        var max = floor;
        foreach (var v in values)
        {
            if (v > max)
            {
                max = v;
            }
        }

        return max;
    }

    /// <summary>
    /// A bar <paramref name="width"/> cells wide filled to <paramref name="fraction"/> (clamped to 0..1) in eighths
    /// of a cell, padded with spaces: Bar(0.5, 4) is "██  ". NaN draws an empty bar.
    /// </summary>
    public static string Bar(double fraction, int width)
    {
        if (width <= 0)
        {
            return "";
        }

        if (double.IsNaN(fraction))
        {
            fraction = 0;
        }

        var eighths = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width * 8, MidpointRounding.AwayFromZero);
        var full = eighths / 8;
        var rest = eighths % 8;
        var chars = new char[width];
        for (var i = 0; i < width; i++)
        {
            chars[i] = i < full ? '█' : i == full && rest > 0 ? Eighths[rest] : ' ';
        }

        return new string(chars);
    }
}
