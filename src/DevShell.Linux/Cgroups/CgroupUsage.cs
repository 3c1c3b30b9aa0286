namespace DevShell.Linux.Cgroups;

/// <summary>
/// One reading of a group's usage and violation counters. A null field means this host does not provide it
/// (controller not mounted or file absent, e.g. memory.peak before Linux 5.19); a null limit means unlimited.
/// Counters are cumulative since the group was created.
/// </summary>
/// <param name="CpuUsageNs">CPU time used (v1 cpuacct.usage; v2 cpu.stat usage_usec × 1000).</param>
/// <param name="MemoryCurrentBytes">v1 memory.usage_in_bytes; v2 memory.current.</param>
/// <param name="MemoryPeakBytes">v1 memory.max_usage_in_bytes; v2 memory.peak.</param>
/// <param name="MemoryLimitBytes">v1 memory.limit_in_bytes; v2 memory.max (null = unlimited).</param>
/// <param name="PidsCurrent">pids.current.</param>
/// <param name="PidsLimit">pids.max (null = unlimited).</param>
/// <param name="IoBytes">Bytes read plus written (v1 blkio.throttle.io_service_bytes; v2 io.stat rbytes+wbytes).</param>
/// <param name="CpuLimitMillicores">The CPU quota in millicores (null = unlimited).</param>
/// <param name="OomKills">Processes killed by the OOM killer (v1 memory.oom_control oom_kill; v2 memory.events oom_kill).</param>
/// <param name="MemoryLimitHits">Times usage hit the limit (v1 memory.failcnt + memory.memsw.failcnt; v2 memory.events max).</param>
/// <param name="PidsLimitHits">Forks refused by pids.max (pids.events max).</param>
/// <param name="CpuPeriods">Enforcement periods elapsed (cpu.stat nr_periods).</param>
/// <param name="CpuThrottledPeriods">Periods in which the group was throttled (cpu.stat nr_throttled).</param>
/// <param name="CpuThrottledNs">Time throttled (v1 cpu.stat throttled_time; v2 throttled_usec × 1000).</param>
public readonly record struct CgroupUsage(
    long? CpuUsageNs,
    long? MemoryCurrentBytes,
    long? MemoryPeakBytes,
    long? MemoryLimitBytes,
    long? PidsCurrent,
    long? PidsLimit,
    long? IoBytes,
    long? CpuLimitMillicores,
    long? OomKills,
    long? MemoryLimitHits,
    long? PidsLimitHits,
    long? CpuPeriods,
    long? CpuThrottledPeriods,
    long? CpuThrottledNs)
{
    /// <summary>
    /// The baseline of a group that was just created: every counter zero, so anything already counted at the
    /// first sample is reported as a new violation.
    /// </summary>
    public static CgroupUsage ZeroCounters { get; } =
        new(0, 0, 0, null, 0, null, 0, null, 0, 0, 0, 0, 0, 0);
}
