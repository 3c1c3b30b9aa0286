using System.Text;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Tests.Cgroups.Fixtures;
using Xunit;

namespace DevShell.Linux.Tests.Cgroups;

public sealed class CgroupTextTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Theory]
    [InlineData("0\n", 0L)]
    [InlineData("104851956890\n", 104851956890L)]
    [InlineData("  42 \n", 42L)]
    [InlineData("-1\n", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Single_numbers_parse(string text, long expected) =>
        Assert.Equal(expected, CgroupText.ParseSingle(B(text)));

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("-")]
    [InlineData("12a\n")]
    [InlineData("9223372036854775808")]
    [InlineData("max\n")]
    public void Non_numbers_and_overflow_are_rejected(string text) =>
        Assert.Null(CgroupText.ParseSingle(B(text)));

    [Theory]
    [InlineData("max\n", null, true)]
    [InlineData("9223372036854771712\n", null, true)]
    [InlineData("-1\n", null, true)]
    [InlineData("33554432\n", 33554432L, true)]
    [InlineData("garbage\n", null, false)]
    public void Limits_read_max_and_the_v1_sentinels_as_unlimited(string text, long? expected, bool ok)
    {
        Assert.Equal(expected, CgroupText.ParseLimit(B(text), out bool parsed));
        Assert.Equal(ok, parsed);
    }

    [Fact]
    public void Keyed_lookup_matches_the_whole_key_only()
    {
        byte[] events = B(V2Formats.PidsEventsAfterForkBomb.Replace("max.imposed 37", "max.imposed 99", StringComparison.Ordinal));
        byte[] memoryEvents = B(V2Formats.MemoryEventsAfterOom);

        Assert.Equal(37, CgroupText.FindKeyed(events, "max"u8));
        Assert.Equal(99, CgroupText.FindKeyed(events, "max.imposed"u8));
        Assert.Equal(2, CgroupText.FindKeyed(memoryEvents, "oom_kill"u8));
        Assert.Equal(2, CgroupText.FindKeyed(memoryEvents, "oom"u8));
        Assert.Equal(0, CgroupText.FindKeyed(memoryEvents, "oom_group_kill"u8));
        Assert.Null(CgroupText.FindKeyed(memoryEvents, "oo"u8));
        Assert.Null(CgroupText.FindKeyed(B("oom_kill 5"), "oom_kill_disable"u8));
        Assert.Equal(5, CgroupText.FindKeyed(B("oom_kill 5"), "oom_kill"u8)); // no trailing newline
    }

    [Theory]
    [InlineData("max 100000\n", null)]
    [InlineData("50000 100000\n", 500L)]
    [InlineData("150000 100000\n", 1500L)]
    [InlineData("25000 50000\n", 500L)]
    public void Cpu_max_reads_as_millicores(string text, long? expected) =>
        Assert.Equal(expected, CgroupText.ParseCpuMax(B(text)));

    [Fact]
    public void Io_stat_sums_read_and_written_bytes_over_devices()
    {
        Assert.Equal(1048576 + 4194304 + 4096, CgroupText.SumIoStat(B(V2Formats.IoStatTwoDevices)));
        Assert.Equal(0, CgroupText.SumIoStat(B("")));
    }

    [Fact]
    public void Blkio_uses_the_grand_total_or_sums_read_and_write()
    {
        Assert.Equal(5242880, CgroupText.SumBlkio(B(V1Formats.BlkioServiceBytes)));
        Assert.Equal(1000 + 24 + 4096, CgroupText.SumBlkio(B(V1Formats.BlkioServiceBytesNoTotal)));
        Assert.Equal(0, CgroupText.SumBlkio(B("Total 0\n")));
    }

    [Fact]
    public void Procs_lists_parse_into_pids()
    {
        var pids = new SortedSet<int>();
        CgroupText.AddPids("12\n345\n\n12\n", pids);
        CgroupText.AddPids(null, pids);

        Assert.Equal([12, 345], pids);
    }

    [Fact]
    public void Limits_map_onto_v1_and_bfq_weight_scales()
    {
        Assert.Equal(10, CgroupLimits.ToV1BlkioWeight(1));
        Assert.Equal(1000, CgroupLimits.ToV1BlkioWeight(10000));
        Assert.Equal(19, CgroupLimits.ToV1BlkioWeight(100));
        Assert.Equal(50000, new CgroupLimits(CpuCores: 0.5).CpuQuotaMicros);
        Assert.Null(CgroupLimits.None.CpuQuotaMicros);
    }

    [Theory]
    [InlineData(0L, null, null, null, null)]
    [InlineData(null, -1L, null, null, null)]
    [InlineData(null, null, 0.0, null, null)]
    [InlineData(null, null, double.NaN, null, null)]
    [InlineData(null, null, null, 0, null)]
    [InlineData(null, null, null, null, 0)]
    [InlineData(null, null, null, null, 10001)]
    public void Impossible_limits_are_refused(long? memory, long? swap, double? cpu, int? pids, int? io) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CgroupLimits(memory, swap, cpu, pids, io).Validate());
}
