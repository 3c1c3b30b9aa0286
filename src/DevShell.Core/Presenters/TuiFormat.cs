using System.Globalization;
using System.Text;
using DevShell.Core.Units;
using DevShell.Core.Validation;

namespace DevShell.Core.Presenters;

/// <summary>
/// Short, fixed-style texts for the TUI's cells: sizes, rates, percentages, uptimes, clock times.
/// Every function is pure and culture-invariant; missing values are shown as <see cref="Missing"/>.
/// </summary>
public static class TuiFormat
{
    /// <summary>What a cell shows for a value that is unknown or does not apply.</summary>
    public const string Missing = "-";

    /// <summary>A byte count like 512M or 1.5G (see <see cref="Size.Format"/>), or "-" for null.</summary>
    public static string Bytes(long? bytes) => bytes is { } b ? Size.Format(b) : Missing;

    /// <summary>Memory in use against its limit: "120M/512M", or just "120M" when unlimited.</summary>
    public static string MemoryOfLimit(long used, long? limit) =>
        limit is { } l ? $"{Size.Format(used)}/{Size.Format(l)}" : Size.Format(used);

    /// <summary>A count against its limit: "12/256", or "12" when unlimited.</summary>
    public static string CountOfLimit(int count, int? limit) =>
        limit is { } l
            ? count.ToString(CultureInfo.InvariantCulture) + "/" + l.ToString(CultureInfo.InvariantCulture)
            : count.ToString(CultureInfo.InvariantCulture);

    /// <summary>A byte rate like 1.5M/s, "0B/s" for idle, "-" when unknown (first sample).</summary>
    public static string Rate(double? bytesPerSecond)
    {
        if (bytesPerSecond is not { } rate || double.IsNaN(rate) || double.IsInfinity(rate))
        {
            return Missing;
        }

        return Size.FormatRate(Math.Max(0, rate));
    }

    /// <summary>Two rates per second without the unit, for a column headed "/s": "87.1K/19.6K"; "-" for an unknown side.</summary>
    public static string RatePair(double? first, double? second)
    {
        static string One(double? r) =>
            r is { } v && !double.IsNaN(v) && !double.IsInfinity(v) ? Size.Format((long)Math.Round(Math.Clamp(v, 0, long.MaxValue))) : Missing;
        return One(first) + "/" + One(second);
    }

    /// <summary>
    /// A percentage: one decimal below 10 ("3.4%"), whole above ("34%", "250%"); "-" for NaN.
    /// Negative values (counter glitches) show as 0%.
    /// </summary>
    public static string Percent(double percent)
    {
        if (double.IsNaN(percent) || double.IsInfinity(percent))
        {
            return Missing;
        }

        var p = Math.Max(0, percent);
        var rounded1 = Math.Round(p, 1, MidpointRounding.AwayFromZero);
        return rounded1 < 10
            ? rounded1.ToString("0.0", CultureInfo.InvariantCulture) + "%"
            : Math.Round(p, 0, MidpointRounding.AwayFromZero).ToString("0", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>
    /// An uptime in at most two units: "45s", "12m05s", "3h04m", "2d05h". Negative spans (clock skew) show as "0s".
    /// </summary>
    public static string Uptime(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        var inv = CultureInfo.InvariantCulture;
        if (span.TotalMinutes < 1)
        {
            return ((int)span.TotalSeconds).ToString(inv) + "s";
        }

        if (span.TotalHours < 1)
        {
            return string.Create(inv, $"{(int)span.TotalMinutes}m{span.Seconds:00}s");
        }

        if (span.TotalDays < 1)
        {
            return string.Create(inv, $"{(int)span.TotalHours}h{span.Minutes:00}m");
        }

        return string.Create(inv, $"{(int)span.TotalDays}d{span.Hours:00}h");
    }

    /// <summary>
    /// A clock time for the events pane in the viewer's local time: "14:03:27" for today,
    /// "03-12 14:03" for other days. <paramref name="localOffset"/> is the viewer's UTC offset.
    /// </summary>
    public static string ClockTime(DateTimeOffset time, DateTimeOffset now, TimeSpan localOffset)
    {
        var local = time.ToOffset(localOffset);
        var today = now.ToOffset(localOffset).Date;
        return local.Date == today
            ? local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : local.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>Cores as people write them: "0.5", "2", "1.25".</summary>
    public static string Cores(double cores) => cores.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>
    /// Makes untrusted text safe and single-line for a cell: control, bidi and invisible characters
    /// (see <see cref="Display.NeedsEscape"/>) become "\uXXXX", newlines and tabs become spaces.
    /// A name or message from a profile or an event can then never move the cursor or recolour the terminal.
    /// </summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            string? replacement = c switch
            {
                '\n' or '\t' or '\r' => " ",
                _ when char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) => null,
                _ when char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]) => null,
                _ when Display.NeedsEscape(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => null,
            };
            if (replacement is null)
            {
                builder?.Append(c);
                continue;
            }

            builder ??= new StringBuilder(text, 0, i, text.Length + 8);
            builder.Append(replacement);
        }

        return builder?.ToString() ?? text;
    }

    /// <summary>Like <see cref="Clean"/> but keeps line breaks: each line is cleaned on its own (for dialogs).</summary>
    public static string CleanLines(string? text) =>
        string.IsNullOrEmpty(text) ? "" : string.Join('\n', text.ReplaceLineEndings("\n").Split('\n').Select(Clean));

    /// <summary>Cuts <paramref name="text"/> to <paramref name="width"/> characters, ending with "…" when cut.</summary>
    public static string Truncate(string text, int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (width <= 0)
        {
            return "";
        }

        if (text.Length <= width)
        {
            return text;
        }

        var keep = width - 1;
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--; // never split a surrogate pair
        }

        return text[..keep] + "…";
    }
}
