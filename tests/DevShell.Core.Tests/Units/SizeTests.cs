using DevShell.Core.Units;

namespace DevShell.Core.Tests.Units;

public class SizeTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("0", 0L)]
    [InlineData("100B", 100L)]
    [InlineData("64K", 64L * 1024)]
    [InlineData("512M", 512L * 1024 * 1024)]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("512MB", 512L * 1024 * 1024)]
    [InlineData("512MiB", 512L * 1024 * 1024)]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("2G", 2L * 1024 * 1024 * 1024)]
    [InlineData("1.5G", 1610612736L)]
    [InlineData("1.5K", 1536L)]
    [InlineData("0.3K", 307L)]
    [InlineData("1T", 1099511627776L)]
    [InlineData("1P", 1125899906842624L)]
    [InlineData("8191P", 8191L * 1125899906842624L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parses_binary_sizes(string text, long expected)
    {
        Assert.True(Size.TryParse(text, out var bytes, out _));
        Assert.Equal(expected, bytes);
        Assert.Equal(expected, Size.Parse(text));
    }

    [Theory]
    [InlineData("12XB", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("", "is not a size (use e.g. 512M, 2G)")]
    [InlineData(" 1G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1G ", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1 G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("+1G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1e3", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("0x10", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1,5G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1.5.2G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1.G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData(".5G", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1GG", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1Gx", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("1E", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("١٢M", "is not a size (use e.g. 512M, 2G)")]
    [InlineData("-1G", "is negative; sizes must be positive (use e.g. 512M, 2G)")]
    [InlineData("1.5", "is a fraction of a byte (use whole bytes or a unit, e.g. 1.5K)")]
    [InlineData("8192P", "is too large (at most 8E, i.e. 2^63-1 bytes)")]
    [InlineData("9223372036854775808", "is too large (at most 8E, i.e. 2^63-1 bytes)")]
    [InlineData("99999999999999999999999999999T", "is too large (at most 8E, i.e. 2^63-1 bytes)")]
    public void Rejects_what_is_not_a_size_with_a_reason(string text, string problem)
    {
        Assert.False(Size.TryParse(text, out _, out var actual));
        Assert.Equal(problem, actual);
    }

    [Fact]
    public void Parse_throws_a_message_naming_the_value()
    {
        var e = Assert.Throws<FormatException>(() => Size.Parse("12XB"));
        Assert.Equal("\"12XB\" is not a size (use e.g. 512M, 2G)", e.Message);
    }

    [Fact]
    public void Rejects_absurdly_long_text_without_parsing_it()
    {
        Assert.False(Size.TryParse(new string('9', 10_000) + "G", out _, out var problem));
        Assert.Equal(Size.NotASizeMessage, problem);
    }

    [Theory]
    [InlineData(0L, "0B")]
    [InlineData(900L, "900B")]
    [InlineData(1023L, "1023B")]
    [InlineData(1024L, "1K")]
    [InlineData(1536L, "1.5K")]
    [InlineData(536870912L, "512M")]
    [InlineData(1610612736L, "1.5G")]
    [InlineData(1073741824L, "1G")]
    [InlineData(1048575L, "1M")]
    [InlineData(-1536L, "-1.5K")]
    [InlineData(long.MaxValue, "8E")]
    public void Formats_bytes_for_people(long bytes, string expected) => Assert.Equal(expected, Size.Format(bytes));

    [Theory]
    [InlineData(536870912L, "512M")]
    [InlineData(1536L, "1536")]
    [InlineData(1610612736L, "1536M")]
    [InlineData(0L, "0")]
    public void Formats_exactly_for_round_trips(long bytes, string expected)
    {
        Assert.Equal(expected, Size.FormatExact(bytes));
        Assert.Equal(bytes, Size.Parse(expected));
    }

    [Fact]
    public void Human_format_parses_back_within_rounding()
    {
        foreach (var bytes in new[] { 1L, 1000L, 4096L, 123456789L, 5_000_000_000L, 987654321987654L })
        {
            var parsed = Size.Parse(Size.Format(bytes));
            Assert.InRange(parsed, bytes * 0.95, bytes * 1.05);
        }
    }

    [Fact]
    public void Formats_rates() => Assert.Equal("1.5M/s", Size.FormatRate(1.5 * 1024 * 1024));
}
