using DevShell.Linux.Cgroups;
using Xunit;

namespace DevShell.Linux.Tests.Cgroups;

public sealed class ViolationDetectorTests
{
    private static readonly CgroupUsage Quiet = new(
        CpuUsageNs: 1_000_000, MemoryCurrentBytes: 10 << 20, MemoryPeakBytes: 12 << 20, MemoryLimitBytes: 32L << 20,
        PidsCurrent: 3, PidsLimit: 16, IoBytes: 0, CpuLimitMillicores: 500,
        OomKills: 0, MemoryLimitHits: 0, PidsLimitHits: 0, CpuPeriods: 100, CpuThrottledPeriods: 0, CpuThrottledNs: 0);

    [Fact]
    public void The_first_reading_is_a_baseline_even_with_old_events()
    {
        var d = new ViolationDetector();
        CgroupUsage old = Quiet with { OomKills = 3, MemoryLimitHits = 50, PidsLimitHits = 7 };

        Assert.Empty(d.Observe("s", old));
        Assert.Empty(d.Observe("s", old));
    }

    [Fact]
    public void For_a_new_group_the_baseline_is_zero()
    {
        var d = new ViolationDetector();

        IReadOnlyList<Violation> v = d.Observe("s", Quiet with { OomKills = 1, MemoryLimitHits = 2 }, groupIsNew: true);

        Assert.Equal([new Violation(ViolationKind.OomKill, 1, 32L << 20), new Violation(ViolationKind.MemoryMax, 2, 32L << 20)], v);
    }

    [Fact]
    public void A_new_oom_kill_is_reported_with_the_memory_limit()
    {
        var d = new ViolationDetector();
        d.Observe("s", Quiet);

        Violation v = Assert.Single(d.Observe("s", Quiet with { OomKills = 1 }));

        Assert.Equal(new Violation(ViolationKind.OomKill, 1, 32L << 20), v);
        Assert.Equal("oom_kill: 1 process killed by the OOM killer (memory limit 32 MiB)", v.Describe());
    }

    [Fact]
    public void Only_the_increase_counts_and_a_steady_counter_is_quiet()
    {
        var d = new ViolationDetector();
        d.Observe("s", Quiet with { PidsLimitHits = 5 });

        Assert.Equal([new Violation(ViolationKind.PidsMax, 3, 16)], d.Observe("s", Quiet with { PidsLimitHits = 8 }));
        Assert.Empty(d.Observe("s", Quiet with { PidsLimitHits = 8 }));
        Assert.Equal("pids_max: 2 forks refused (pids limit 16)", Assert.Single(d.Observe("s", Quiet with { PidsLimitHits = 10 })).Describe());
    }

    [Fact]
    public void Memory_limit_hits_are_reported()
    {
        IReadOnlyList<Violation> v = ViolationDetector.Compare(Quiet, Quiet with { MemoryLimitHits = 40 });

        Assert.Equal([new Violation(ViolationKind.MemoryMax, 40, 32L << 20)], v);
        Assert.Equal("memory_max: memory limit 32 MiB reached 40 times", v[0].Describe());
    }

    [Theory]
    [InlineData(100, 10, true)] // exactly 10%
    [InlineData(100, 9, false)]
    [InlineData(20, 19, true)]
    [InlineData(0, 0, false)] // no periods elapsed (idle, or no quota)
    [InlineData(10, 0, false)]
    public void Cpu_throttling_is_reported_from_ten_percent_of_the_periods(long periods, long throttled, bool reported)
    {
        CgroupUsage next = Quiet with { CpuPeriods = Quiet.CpuPeriods + periods, CpuThrottledPeriods = throttled };

        IReadOnlyList<Violation> v = ViolationDetector.Compare(Quiet, next);

        if (reported)
        {
            Assert.Equal([new Violation(ViolationKind.CpuThrottled, throttled, 500) { OutOf = periods }], v);
        }
        else
        {
            Assert.Empty(v);
        }
    }

    [Fact]
    public void The_throttle_threshold_and_minimum_are_configurable()
    {
        CgroupUsage next = Quiet with { CpuPeriods = 200, CpuThrottledPeriods = 30 }; // 30 of 100

        Assert.Empty(ViolationDetector.Compare(Quiet, next, new ViolationOptions(ThrottleFraction: 0.5)));
        Assert.Empty(ViolationDetector.Compare(Quiet, next, new ViolationOptions(MinThrottledPeriods: 31)));
        Violation v = Assert.Single(ViolationDetector.Compare(Quiet, next, new ViolationOptions(ThrottleFraction: 0.3)));
        Assert.Equal("cpu_throttled: throttled in 30 of 100 periods (cpu limit 0.5 cores)", v.Describe());
    }

    [Fact]
    public void A_counter_that_went_down_means_a_recreated_group_and_counts_from_zero()
    {
        CgroupUsage before = Quiet with { OomKills = 5, CpuPeriods = 1000, CpuThrottledPeriods = 900 };
        CgroupUsage after = Quiet with { OomKills = 1, CpuPeriods = 10, CpuThrottledPeriods = 8 };

        IReadOnlyList<Violation> v = ViolationDetector.Compare(before, after);

        Assert.Equal(
            [new Violation(ViolationKind.OomKill, 1, 32L << 20), new Violation(ViolationKind.CpuThrottled, 8, 500) { OutOf = 10 }],
            v);
    }

    [Fact]
    public void Counters_the_host_does_not_provide_never_produce_violations()
    {
        CgroupUsage none = default;

        Assert.Empty(ViolationDetector.Compare(none, none));
        Assert.Empty(ViolationDetector.Compare(none, Quiet with { OomKills = 9 })); // appeared: baseline
        Assert.Empty(ViolationDetector.Compare(Quiet, Quiet with { OomKills = null, PidsLimitHits = null }));
    }

    [Fact]
    public void Several_kinds_in_one_interval_are_all_reported_in_a_fixed_order()
    {
        CgroupUsage next = Quiet with { OomKills = 1, MemoryLimitHits = 3, PidsLimitHits = 2, CpuPeriods = 110, CpuThrottledPeriods = 10 };

        Assert.Equal(
            [ViolationKind.OomKill, ViolationKind.MemoryMax, ViolationKind.PidsMax, ViolationKind.CpuThrottled],
            ViolationDetector.Compare(Quiet, next).Select(v => v.Kind));
    }

    [Fact]
    public void Sessions_are_tracked_separately_and_Forget_resets_the_baseline()
    {
        var d = new ViolationDetector();
        d.Observe("a", Quiet);
        d.Observe("b", Quiet with { OomKills = 4 });

        Assert.Single(d.Observe("a", Quiet with { OomKills = 1 }));
        Assert.Empty(d.Observe("b", Quiet with { OomKills = 4 }));
        Assert.True(d.Forget("a"));
        Assert.Empty(d.Observe("a", Quiet with { OomKills = 2 }));
        Assert.False(d.Forget("nope"));
    }

    [Fact]
    public void Unknown_limits_are_left_out_of_the_description()
    {
        var v = new Violation(ViolationKind.PidsMax, 1, null);

        Assert.Equal("pids_max: 1 fork refused", v.Describe());
    }
}
