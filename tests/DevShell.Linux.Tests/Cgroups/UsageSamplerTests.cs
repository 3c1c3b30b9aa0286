using DevShell.Linux.Cgroups;
using DevShell.Linux.Tests.Cgroups.Fixtures;
using Xunit;

namespace DevShell.Linux.Tests.Cgroups;

public sealed class UsageSamplerTests : IDisposable
{
    private readonly FixtureCgroupTree _tree = FixtureCgroupTree.V2();
    private readonly string _sys;

    public UsageSamplerTests()
    {
        _sys = Path.Combine(_tree.Root, "..", Path.GetFileName(_tree.Root) + "-sys");
        Directory.CreateDirectory(_sys);
    }

    public void Dispose()
    {
        _tree.Dispose();
        Directory.Delete(_sys, recursive: true);
    }

    [Fact]
    public void Cpu_percent_is_cpu_time_over_wall_time_since_the_previous_sample()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(CpuCores: 2));
        string cpuStat = Path.Combine(h.Directories[0], "cpu.stat");
        using var sampler = new UsageSampler(_sys);
        sampler.Add("s1", h);

        _tree.Set(cpuStat, "usage_usec 1000000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
        SessionSnapshot first = Assert.Single(sampler.Sample(TimeSpan.FromSeconds(10)));
        _tree.Set(cpuStat, "usage_usec 1500000\nnr_periods 10\nnr_throttled 0\nthrottled_usec 0\n");
        SessionSnapshot second = Assert.Single(sampler.Sample(TimeSpan.FromSeconds(11)));
        _tree.Set(cpuStat, "usage_usec 4500000\nnr_periods 30\nnr_throttled 0\nthrottled_usec 0\n");
        SessionSnapshot third = Assert.Single(sampler.Sample(TimeSpan.FromSeconds(13)));

        Assert.True(first.Alive);
        Assert.Null(first.CpuPercent);
        Assert.Equal(50.0, second.CpuPercent!.Value, precision: 6);
        Assert.Equal(150.0, third.CpuPercent!.Value, precision: 6);
        Assert.Equal(2000, third.Usage.CpuLimitMillicores);
    }

    [Fact]
    public void Snapshots_carry_memory_pids_io_and_their_limits()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 64L << 20, Pids: 32));
        _tree.Set(Path.Combine(h.Directories[0], "memory.current"), "1048576\n");
        _tree.Set(Path.Combine(h.Directories[0], "memory.peak"), "2097152\n");
        _tree.Set(Path.Combine(h.Directories[0], "pids.current"), "4\n");
        _tree.Set(Path.Combine(h.Directories[0], "io.stat"), V2Formats.IoStatTwoDevices);
        using var sampler = new UsageSampler(_sys);
        sampler.Add("s1", h);

        SessionSnapshot s = Assert.Single(sampler.Sample(TimeSpan.Zero));

        Assert.Equal("s1", s.SessionId);
        Assert.Equal(1048576, s.MemoryCurrentBytes);
        Assert.Equal(2097152, s.MemoryPeakBytes);
        Assert.Equal(64L << 20, s.MemoryLimitBytes);
        Assert.Equal(4, s.PidsCurrent);
        Assert.Equal(32, s.PidsLimit);
        Assert.Equal(1048576 + 4194304 + 4096, s.IoBytes);
        Assert.Null(s.NetRxBytes);
        Assert.Empty(s.Violations);
    }

    [Fact]
    public void Network_bytes_come_from_the_interface_statistics_once_it_exists()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);
        using var sampler = new UsageSampler(_sys);
        sampler.Add("s1", h, netInterface: "dsv-web0");

        SessionSnapshot before = Assert.Single(sampler.Sample(TimeSpan.Zero));
        string stats = Path.Combine(_sys, "class", "net", "dsv-web0", "statistics");
        Directory.CreateDirectory(stats);
        File.WriteAllText(Path.Combine(stats, "rx_bytes"), "123456\n");
        File.WriteAllText(Path.Combine(stats, "tx_bytes"), "7890\n");
        SessionSnapshot after = Assert.Single(sampler.Sample(TimeSpan.FromSeconds(1)));
        _tree.Set(Path.Combine(stats, "rx_bytes"), "223456\n");
        SessionSnapshot later = Assert.Single(sampler.Sample(TimeSpan.FromSeconds(2)));

        Assert.Null(before.NetRxBytes);
        Assert.Equal(123456, after.NetRxBytes);
        Assert.Equal(7890, after.NetTxBytes);
        Assert.Equal(223456, later.NetRxBytes);
    }

    [Fact]
    public void A_removed_group_reads_as_not_alive()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        using var sampler = new UsageSampler(_sys);
        sampler.Add("s1", h);
        Assert.True(Assert.Single(sampler.Sample(TimeSpan.Zero)).Alive);

        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(1)));
        using var fresh = new UsageSampler(_sys);
        fresh.Add("s1", h);

        Assert.False(Assert.Single(fresh.Sample(TimeSpan.FromSeconds(1))).Alive);
    }

    [Fact]
    public void Violations_flow_through_with_the_new_group_baseline()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 32L << 20));
        _tree.Set(Path.Combine(h.Directories[0], "memory.events"), V2Formats.MemoryEventsAfterOom);
        using var sampler = new UsageSampler(_sys);
        sampler.Add("new", h, groupIsNew: true);
        sampler.Add("adopted", h);

        IReadOnlyList<SessionSnapshot> s = sampler.Sample(TimeSpan.Zero);

        Assert.Equal([ViolationKind.OomKill, ViolationKind.MemoryMax], s[0].Violations.Select(v => v.Kind));
        Assert.Empty(s[1].Violations);
    }

    [Fact]
    public void Sessions_can_be_added_and_removed_and_ids_are_unique()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);
        using var sampler = new UsageSampler(_sys);
        sampler.Add("a", h);
        sampler.Add("b", h);

        Assert.Throws<ArgumentException>(() => sampler.Add("a", h));
        Assert.True(sampler.Remove("a"));
        Assert.False(sampler.Remove("a"));
        Assert.Equal(["b"], sampler.Sample(TimeSpan.Zero).Select(s => s.SessionId));
        Assert.Equal(1, sampler.Count);
    }
}
