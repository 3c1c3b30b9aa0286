using DevShell.Linux.Cgroups;
using DevShell.Linux.Interop;
using DevShell.Linux.Tests.Cgroups.Fixtures;
using Xunit;

namespace DevShell.Linux.Tests.Cgroups;

/// <summary>The v1 driver against fixture trees laid out like this VM's /sys/fs/cgroup and a co-mounted host.</summary>
public sealed class CgroupV1DriverTests : IDisposable
{
    private readonly FixtureCgroupTree _tree = FixtureCgroupTree.V1("cpu", "cpuacct", "memory", "pids", "blkio");

    public void Dispose() => _tree.Dispose();

    private string Group(string hierarchy, string name) => Path.Combine(_tree.Root, hierarchy, "devshell", name);

    [Fact]
    public void Create_makes_the_group_in_every_hierarchy_and_writes_the_exact_limit_values()
    {
        CgroupHandle h = _tree.V1Driver().Create("orders-api", new CgroupLimits(MemoryBytes: 32L << 20, SwapBytes: 0, CpuCores: 0.5, Pids: 16, IoWeight: 100));

        foreach (string c in new[] { "cpu", "cpuacct", "memory", "pids", "blkio" })
        {
            Assert.Equal(Group(c, "orders-api"), h.Paths[c]);
        }

        Assert.Equal("33554432", _tree.Read("memory/devshell/orders-api/memory.limit_in_bytes"));
        Assert.Equal("33554432", _tree.Read("memory/devshell/orders-api/memory.memsw.limit_in_bytes"));
        Assert.Equal("100000", _tree.Read("cpu/devshell/orders-api/cpu.cfs_period_us"));
        Assert.Equal("50000", _tree.Read("cpu/devshell/orders-api/cpu.cfs_quota_us"));
        Assert.Equal("16", _tree.Read("pids/devshell/orders-api/pids.max"));
        Assert.Equal("19", _tree.Read("blkio/devshell/orders-api/blkio.bfq.weight")); // 100 on 1..10000 → 19 on 10..1000
        Assert.Empty(h.Notes);

        // memory.limit_in_bytes before memsw (memsw may never be below it), period before quota.
        string[] order = _tree.Writes.Select(w => Path.GetFileName(w.Path)).ToArray();
        Assert.Equal(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cpu.cfs_period_us", "cpu.cfs_quota_us", "pids.max", "blkio.bfq.weight"], order);
    }

    [Fact]
    public void Memsw_is_memory_plus_swap()
    {
        _tree.V1Driver().Create("web", new CgroupLimits(MemoryBytes: 1L << 30, SwapBytes: 512L << 20));

        Assert.Equal("1610612736", _tree.Read("memory/devshell/web/memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void Swap_without_memory_or_without_memsw_is_skipped_with_a_note()
    {
        CgroupHandle a = _tree.V1Driver().Create("a", new CgroupLimits(SwapBytes: 0));
        _tree.OmittedFiles.Add("memory.memsw.limit_in_bytes");
        CgroupHandle b = _tree.V1Driver().Create("b", new CgroupLimits(MemoryBytes: 1 << 30, SwapBytes: 0));

        Assert.Contains(a.Notes, n => n.Contains("needs a memory limit", StringComparison.Ordinal));
        Assert.Contains(b.Notes, n => n.Contains("swapaccount=1", StringComparison.Ordinal));
        Assert.Equal("1073741824", _tree.Read("memory/devshell/b/memory.limit_in_bytes"));
    }

    [Fact]
    public void Without_active_swap_a_zero_swap_limit_leaves_memsw_alone_and_says_why()
    {
        _tree.NoSwap = true;

        CgroupHandle h = _tree.V1Driver().Create("web", new CgroupLimits(MemoryBytes: 32L << 20, SwapBytes: 0));
        CgroupHandle more = _tree.V1Driver().Create("more", new CgroupLimits(MemoryBytes: 32L << 20, SwapBytes: 1L << 20));

        Assert.Equal("33554432", _tree.Read("memory/devshell/web/memory.limit_in_bytes"));
        Assert.Equal(V1Formats.Unlimited, _tree.Read("memory/devshell/web/memory.memsw.limit_in_bytes"));
        Assert.Contains(h.Notes, n => n.Contains("no swap is active", StringComparison.Ordinal));
        Assert.Equal("34603008", _tree.Read("memory/devshell/more/memory.memsw.limit_in_bytes"));
        Assert.Empty(more.Notes);
    }

    [Fact]
    public void Blkio_weight_is_preferred_and_a_host_without_weights_gets_a_note()
    {
        _tree.ExtraFiles["blkio.weight"] = "500\n";
        _tree.V1Driver().Create("a", new CgroupLimits(IoWeight: 10000));
        _tree.ExtraFiles.Clear();
        _tree.OmittedFiles.Add("blkio.bfq.weight");
        CgroupHandle b = _tree.V1Driver().Create("b", new CgroupLimits(IoWeight: 1));

        Assert.Equal("1000", _tree.Read("blkio/devshell/a/blkio.weight"));
        Assert.Equal("100\n", _tree.Read("blkio/devshell/a/blkio.bfq.weight"));
        Assert.Contains(b.Notes, n => n.StartsWith("io weight skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Co_mounted_cpu_and_cpuacct_share_one_directory()
    {
        using var tree = FixtureCgroupTree.V1("cpu,cpuacct", "memory", "pids");

        CgroupHandle h = tree.V1Driver().Create("web", new CgroupLimits(CpuCores: 2));

        string cpu = Path.Combine(tree.Root, "cpu,cpuacct", "devshell", "web");
        Assert.Equal(cpu, h.Paths["cpu"]);
        Assert.Equal(cpu, h.Paths["cpuacct"]);
        Assert.Equal(3, h.Directories.Count);
        Assert.Equal("200000", tree.Read("cpu,cpuacct/devshell/web/cpu.cfs_quota_us"));

        tree.Set(Path.Combine(cpu, "cpuacct.usage"), "2500000000\n");
        tree.Set(Path.Combine(cpu, "cpu.stat"), V1Formats.CpuStatThrottled);
        CgroupUsage u = tree.V1Driver().ReadUsage(h);
        Assert.Equal(2_500_000_000, u.CpuUsageNs);
        Assert.Equal(21, u.CpuThrottledPeriods);
        Assert.Equal(2000, u.CpuLimitMillicores);
        Assert.Null(u.IoBytes);
    }

    [Fact]
    public void AddProcess_joins_every_hierarchy()
    {
        CgroupHandle h = _tree.V1Driver().Create("web", CgroupLimits.None);

        h.AddProcess(777);

        Assert.Equal(5, h.ProcsFiles.Count);
        Assert.All(h.ProcsFiles, f => Assert.Equal("777\n", File.ReadAllText(f)));
    }

    [Fact]
    public void A_failed_write_removes_the_group_from_every_hierarchy()
    {
        _tree.BrokenFiles.Add("pids.max");

        var e = Assert.Throws<SyscallException>(() => _tree.V1Driver().Create("web", new CgroupLimits(MemoryBytes: 1 << 30, CpuCores: 1, Pids: 10)));

        Assert.Equal(Errno.EISDIR, e.Errno);
        Assert.Contains("pids.max of cgroup devshell/web", e.Message, StringComparison.Ordinal);
        foreach (string c in new[] { "cpu", "cpuacct", "memory", "pids", "blkio" })
        {
            Assert.False(Directory.Exists(Group(c, "web")), c);
            Assert.True(Directory.Exists(Path.Combine(_tree.Root, c, "devshell")), c);
        }
    }

    [Fact]
    public void A_leftover_in_one_hierarchy_fails_Create_and_is_left_alone_while_new_dirs_are_undone()
    {
        Directory.CreateDirectory(Group("pids", "web"));
        File.WriteAllText(Path.Combine(Group("pids", "web"), "cgroup.procs"), "31337\n");

        var e = Assert.Throws<CgroupException>(() => _tree.V1Driver().Create("web", CgroupLimits.None));

        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.Contains(Group("pids", "web"), e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Group("pids", "web")));
        Assert.False(Directory.Exists(Group("cpu", "web")));
        Assert.False(Directory.Exists(Group("memory", "web")));
        Assert.Empty(_tree.Kills);
    }

    [Fact]
    public void A_limit_whose_hierarchy_is_not_mounted_is_refused_with_the_fix()
    {
        using var tree = FixtureCgroupTree.V1("cpu", "cpuacct", "memory");

        var e = Assert.Throws<CgroupException>(() => tree.V1Driver().Create("web", new CgroupLimits(Pids: 10)));

        Assert.Contains("devshell/web", e.Message, StringComparison.Ordinal);
        Assert.Contains("pids cgroup v1 hierarchy is not mounted", e.Message, StringComparison.Ordinal);
        Assert.Contains("mount -t cgroup -o pids", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(tree.Root, "memory", "devshell")));
    }

    [Fact]
    public void ReadUsage_parses_the_v1_files()
    {
        CgroupHandle h = _tree.V1Driver().Create("web", new CgroupLimits(MemoryBytes: 32L << 20, CpuCores: 0.5, Pids: 16));
        _tree.Set(Path.Combine(Group("cpuacct", "web"), "cpuacct.usage"), "104851956890\n");
        _tree.Set(Path.Combine(Group("cpu", "web"), "cpu.stat"), V1Formats.CpuStatThrottled);
        _tree.Set(Path.Combine(Group("memory", "web"), "memory.usage_in_bytes"), "33464320\n");
        _tree.Set(Path.Combine(Group("memory", "web"), "memory.max_usage_in_bytes"), "33554432\n");
        _tree.Set(Path.Combine(Group("memory", "web"), "memory.failcnt"), "1387\n");
        _tree.Set(Path.Combine(Group("memory", "web"), "memory.memsw.failcnt"), "13\n");
        _tree.Set(Path.Combine(Group("memory", "web"), "memory.oom_control"), V1Formats.OomControlAfterOom);
        _tree.Set(Path.Combine(Group("pids", "web"), "pids.current"), "16\n");
        _tree.Set(Path.Combine(Group("pids", "web"), "pids.events"), "max 84\n");
        _tree.Set(Path.Combine(Group("blkio", "web"), "blkio.throttle.io_service_bytes_recursive"), V1Formats.BlkioServiceBytes);

        CgroupUsage u = _tree.V1Driver().ReadUsage(h);

        Assert.Equal(104851956890, u.CpuUsageNs);
        Assert.Equal(40, u.CpuPeriods);
        Assert.Equal(21, u.CpuThrottledPeriods);
        Assert.Equal(1043021877, u.CpuThrottledNs);
        Assert.Equal(500, u.CpuLimitMillicores);
        Assert.Equal(33464320, u.MemoryCurrentBytes);
        Assert.Equal(33554432, u.MemoryPeakBytes);
        Assert.Equal(32L << 20, u.MemoryLimitBytes);
        Assert.Equal(1387 + 13, u.MemoryLimitHits); // memory and memory+swap refusals
        Assert.Equal(3, u.OomKills);
        Assert.Equal(16, u.PidsCurrent);
        Assert.Equal(16, u.PidsLimit);
        Assert.Equal(84, u.PidsLimitHits);
        Assert.Equal(5242880, u.IoBytes);
    }

    [Fact]
    public void Unlimited_v1_values_read_as_no_limit()
    {
        CgroupHandle h = _tree.V1Driver().Create("web", CgroupLimits.None);

        CgroupUsage u = _tree.V1Driver().ReadUsage(h);

        Assert.Null(u.MemoryLimitBytes); // 9223372036854771712
        Assert.Null(u.CpuLimitMillicores); // cfs_quota_us -1
        Assert.Null(u.PidsLimit); // max
        Assert.Equal(0, u.IoBytes);
    }

    [Fact]
    public void Without_the_recursive_blkio_file_the_plain_one_is_summed()
    {
        _tree.OmittedFiles.Add("blkio.throttle.io_service_bytes_recursive");
        CgroupHandle h = _tree.V1Driver().Create("web", CgroupLimits.None);
        _tree.Set(Path.Combine(Group("blkio", "web"), "blkio.throttle.io_service_bytes"), V1Formats.BlkioServiceBytesNoTotal);

        Assert.Equal(1000 + 24 + 4096, _tree.V1Driver().ReadUsage(h).IoBytes);
    }

    [Fact]
    public void TryRemove_kills_the_pids_of_every_hierarchy_and_removes_every_directory()
    {
        CgroupV1Driver driver = _tree.V1Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        h.AddProcess(501);
        File.AppendAllText(Path.Combine(Group("memory", "web"), "cgroup.procs"), "502\n");

        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(2), killRemaining: true));

        Assert.Equal([501, 502], _tree.Kills.Select(k => k.Pid).Distinct().Order());
        Assert.All(_tree.Kills, k => Assert.Equal(9, k.Signal));
        Assert.All(h.Directories, d => Assert.False(Directory.Exists(d), d));
    }

    [Fact]
    public void ListGroups_merges_names_across_hierarchies()
    {
        CgroupV1Driver driver = _tree.V1Driver();
        driver.Create("one", CgroupLimits.None);
        Directory.CreateDirectory(Group("memory", "partial"));

        IReadOnlyList<CgroupGroupInfo> groups = driver.ListGroups();

        Assert.Equal(["one", "partial"], groups.Select(g => g.Name));
        Assert.Equal(5, groups[0].Handle.Directories.Count);
        Assert.Equal(["memory"], groups[1].Handle.Paths.Keys);
    }

    [Fact]
    public void A_custom_parent_name_is_used_in_every_hierarchy()
    {
        CgroupHandle h = _tree.V1Driver("devshell-test").Create("web", CgroupLimits.None);

        Assert.All(h.Directories, d => Assert.Contains("/devshell-test/web", d, StringComparison.Ordinal));
    }
}
