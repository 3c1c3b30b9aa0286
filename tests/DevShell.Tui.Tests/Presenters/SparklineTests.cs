using DevShell.Core.Presenters;

namespace DevShell.Tui.Tests.Presenters;

public class SparklineTests
{
    [Fact]
    public void Values_are_scaled_from_the_lowest_to_the_highest_block()
    {
        Assert.Equal("▁▂▃▄▅▆▇█", Sparkline.Render([0, 1, 2, 3, 4, 5, 6, 7], 8, 7));
    }

    [Fact]
    public void The_newest_value_is_on_the_right_and_a_short_history_is_padded_on_the_left()
    {
        Assert.Equal("   ▁█", Sparkline.Render([0, 100], 5, 100));
        Assert.Equal("█▁", Sparkline.Render([0, 0, 0, 100, 0], 2, 100));
    }

    [Fact]
    public void Values_above_the_scale_are_capped_and_gaps_are_blank()
    {
        Assert.Equal("█ ▁", Sparkline.Render([250, double.NaN, -3], 3, 100));
    }

    [Fact]
    public void A_scale_of_zero_draws_everything_at_the_lowest_level()
    {
        Assert.Equal("▁▁", Sparkline.Render([5, 10], 2, 0));
        Assert.Equal("", Sparkline.Render([5, 10], 0, 10));
    }

    [Fact]
    public void The_scale_is_the_limit_when_known_else_the_largest_value_but_not_below_the_floor()
    {
        Assert.Equal(512, Sparkline.ScaleFor([10, 900], 512, 1));
        Assert.Equal(900, Sparkline.ScaleFor([10, 900], null, 1));
        Assert.Equal(100, Sparkline.ScaleFor([1, 2], null, 100));
    }

    [Theory]
    [InlineData(0.5, 4, "██  ")]
    [InlineData(1.0, 3, "███")]
    [InlineData(0.0, 3, "   ")]
    [InlineData(0.03125, 4, "▏   ")]
    [InlineData(0.1875, 2, "▍ ")]
    [InlineData(7.0, 2, "██")]
    [InlineData(double.NaN, 2, "  ")]
    public void Bars_fill_in_eighths_of_a_cell(double fraction, int width, string expected) =>
        Assert.Equal(expected, Sparkline.Bar(fraction, width));
}
