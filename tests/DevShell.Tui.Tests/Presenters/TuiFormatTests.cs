using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class TuiFormatTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(59.9, "59s")]
    [InlineData(60, "1m00s")]
    [InlineData(725, "12m05s")]
    [InlineData(3600, "1h00m")]
    [InlineData(11_040, "3h04m")]
    [InlineData(86_400, "1d00h")]
    [InlineData(190_800, "2d05h")]
    [InlineData(-5, "0s")]
    public void Uptime_is_shown_in_at_most_two_units(double seconds, string expected) =>
        Assert.Equal(expected, TuiFormat.Uptime(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(0, "0.0%")]
    [InlineData(3.44, "3.4%")]
    [InlineData(9.96, "10%")]
    [InlineData(34.4, "34%")]
    [InlineData(250, "250%")]
    [InlineData(-1, "0.0%")]
    [InlineData(double.NaN, "-")]
    public void Percent_has_one_decimal_below_ten_and_none_above(double value, string expected) =>
        Assert.Equal(expected, TuiFormat.Percent(value));

    [Fact]
    public void Memory_and_counts_are_shown_against_their_limit_when_there_is_one()
    {
        Assert.Equal("120M/512M", TuiFormat.MemoryOfLimit(120L << 20, 512L << 20));
        Assert.Equal("1.5G", TuiFormat.MemoryOfLimit(1536L << 20, null));
        Assert.Equal("12/256", TuiFormat.CountOfLimit(12, 256));
        Assert.Equal("12", TuiFormat.CountOfLimit(12, null));
        Assert.Equal("-", TuiFormat.Bytes(null));
    }

    [Fact]
    public void Rates_show_unknown_as_a_dash_and_never_go_negative()
    {
        Assert.Equal("1.5M/s", TuiFormat.Rate(1.5 * 1024 * 1024));
        Assert.Equal("0B/s", TuiFormat.Rate(-20));
        Assert.Equal("-", TuiFormat.Rate(null));
        Assert.Equal("-", TuiFormat.Rate(double.PositiveInfinity));
        Assert.Equal("87.1K/-", TuiFormat.RatePair(87.1 * 1024, null));
    }

    [Fact]
    public void Clock_time_shows_the_date_only_for_other_days()
    {
        var now = new DateTimeOffset(2026, 3, 12, 14, 10, 0, TimeSpan.Zero);
        Assert.Equal("14:03:27", TuiFormat.ClockTime(now.AddMinutes(-6).AddSeconds(-33), now, TimeSpan.Zero));
        Assert.Equal("03-11 23:50", TuiFormat.ClockTime(new DateTimeOffset(2026, 3, 11, 23, 50, 0, TimeSpan.Zero), now, TimeSpan.Zero));

        // In the viewer's zone (UTC+2) 23:50 UTC on the 11th is 01:50 on the 12th: today.
        Assert.Equal("01:50:00", TuiFormat.ClockTime(new DateTimeOffset(2026, 3, 11, 23, 50, 0, TimeSpan.Zero), now, TimeSpan.FromHours(2)));
    }

    [Fact]
    public void Clean_escapes_terminal_control_and_bidi_characters_so_a_value_cannot_drive_the_terminal()
    {
        Assert.Equal("\\u001b[31mred\\u001b]0;title\\u0007", TuiFormat.Clean("\u001b[31mred\u001b]0;title\u0007"));
        Assert.Equal("evil\\u202etxt.exe", TuiFormat.Clean("evil\u202etxt.exe"));
        Assert.Equal("two lines", TuiFormat.Clean("two\nlines"));
        Assert.Equal("ok 🚀 ü", TuiFormat.Clean("ok 🚀 ü"));
        Assert.Equal("lone \\ud83d", TuiFormat.Clean("lone \ud83d"));
        Assert.Equal("", TuiFormat.Clean(null));
    }

    [Fact]
    public void Clean_lines_keeps_line_breaks_for_dialogs()
    {
        Assert.Equal("a\\u001b\nb", TuiFormat.CleanLines("a\u001b\r\nb"));
    }

    [Fact]
    public void Truncate_ends_with_an_ellipsis_and_never_splits_a_surrogate_pair()
    {
        Assert.Equal("orders-api", TuiFormat.Truncate("orders-api", 10));
        Assert.Equal("orders-a…", TuiFormat.Truncate("orders-api", 9));
        Assert.Equal("ab…", TuiFormat.Truncate("ab🚀cd", 4));
        Assert.Equal("", TuiFormat.Truncate("abc", 0));
    }
}
