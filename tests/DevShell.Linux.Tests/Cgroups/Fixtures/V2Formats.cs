namespace DevShell.Linux.Tests.Cgroups.Fixtures;

/// <summary>File contents in the exact formats of a cgroup v2 kernel (Linux 6.x), busy and idle.</summary>
internal static class V2Formats
{
    /// <summary>cpu.stat of a group without the cpu controller: only the core fields.</summary>
    public const string CpuStatIdleCore = "usage_usec 0\nuser_usec 0\nsystem_usec 0\ncore_sched.force_idle_usec 0\n";

    public const string CpuStatIdleWithCpuController =
        "usage_usec 0\nuser_usec 0\nsystem_usec 0\ncore_sched.force_idle_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n";

    /// <summary>A group that ran at its 0.5-core quota for a while.</summary>
    public const string CpuStatBusy =
        "usage_usec 8765432\n" +
        "user_usec 8543210\n" +
        "system_usec 222222\n" +
        "core_sched.force_idle_usec 0\n" +
        "nr_periods 1200\n" +
        "nr_throttled 1150\n" +
        "throttled_usec 57300123\n" +
        "nr_bursts 0\n" +
        "burst_usec 0\n";

    public const string MemoryEventsAfterOom =
        "low 0\n" +
        "high 0\n" +
        "max 4127\n" +
        "oom 2\n" +
        "oom_kill 2\n" +
        "oom_group_kill 0\n";

    public const string MemoryStatIdle =
        "anon 0\nfile 0\nkernel 0\nkernel_stack 0\npagetables 0\nsec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\n" +
        "zswap 0\nzswapped 0\nfile_mapped 0\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\nshmem_thp 0\n" +
        "inactive_anon 0\nactive_anon 0\ninactive_file 0\nactive_file 0\nunevictable 0\nslab_reclaimable 0\nslab_unreclaimable 0\nslab 0\n" +
        "workingset_refault_anon 0\nworkingset_refault_file 0\nworkingset_activate_anon 0\nworkingset_activate_file 0\n" +
        "workingset_restore_anon 0\nworkingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\npgfault 0\npgmajfault 0\n";

    /// <summary>Two devices (virtio and sd); the sum of rbytes and wbytes is 1048576+4194304+4096+0.</summary>
    public const string IoStatTwoDevices =
        "253:0 rbytes=1048576 wbytes=4194304 rios=256 wios=1024 dbytes=0 dios=0\n" +
        "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";

    public const string PidsEventsAfterForkBomb = "max 37\nmax.imposed 37\n";
}

/// <summary>File contents in the exact formats of a cgroup v1 kernel (copied from this Debian 12 / 6.18 VM).</summary>
internal static class V1Formats
{
    public const string OomControlAfterOom = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";

    public const string CpuStatThrottled = "nr_periods 40\nnr_throttled 21\nthrottled_time 1043021877\nnr_bursts 0\nburst_time 0\n";

    /// <summary>The throttle table: per device Read/Write/Sync/Async/Discard/Total, then the grand Total.</summary>
    public const string BlkioServiceBytes =
        "253:0 Read 1048576\n" +
        "253:0 Write 4194304\n" +
        "253:0 Sync 5242880\n" +
        "253:0 Async 0\n" +
        "253:0 Discard 0\n" +
        "253:0 Total 5242880\n" +
        "Total 5242880\n";

    /// <summary>The same table cut before the grand Total (some kernels omit it for the non-recursive file).</summary>
    public const string BlkioServiceBytesNoTotal =
        "253:0 Read 1000\n" +
        "253:0 Write 24\n" +
        "253:0 Sync 1024\n" +
        "253:0 Async 0\n" +
        "253:0 Discard 0\n" +
        "253:0 Total 1024\n" +
        "8:0 Read 4096\n" +
        "8:0 Write 0\n";

    /// <summary>memory.limit_in_bytes of an unlimited group on x86_64 (PAGE_COUNTER_MAX pages).</summary>
    public const string Unlimited = "9223372036854771712\n";
}
