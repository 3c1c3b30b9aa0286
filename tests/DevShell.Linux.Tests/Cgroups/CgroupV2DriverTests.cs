using DevShell.Linux.Cgroups;
using DevShell.Linux.Interop;
using DevShell.Linux.Tests.Cgroups.Fixtures;
using Xunit;

namespace DevShell.Linux.Tests.Cgroups;

/// <summary>The v2 driver against a fixture tree laid out like /sys/fs/cgroup on a v2 host (v2 cannot run here).</summary>
public sealed class CgroupV2DriverTests : IDisposable
{
    private readonly FixtureCgroupTree _tree = FixtureCgroupTree.V2();

    public void Dispose() => _tree.Dispose();

    private string Group(string name) => Path.Combine(_tree.Root, "devshell", name);

    [Fact]
    public void Create_enables_controllers_top_down_then_writes_the_exact_limit_values()
    {
        CgroupHandle h = _tree.V2Driver().Create("orders-api", new CgroupLimits(MemoryBytes: 32L << 20, SwapBytes: 0, CpuCores: 0.5, Pids: 16, IoWeight: 200));

        Assert.Equal("cpu io memory pids\n", _tree.Read("cgroup.subtree_control"));
        Assert.Equal("cpu io memory pids\n", _tree.Read("devshell/cgroup.controllers"));
        Assert.Equal("cpu io memory pids\n", _tree.Read("devshell/cgroup.subtree_control"));
        Assert.Equal("cpu io memory pids\n", _tree.Read("devshell/orders-api/cgroup.controllers"));
        Assert.Equal("33554432", _tree.Read("devshell/orders-api/memory.max"));
        Assert.Equal("0", _tree.Read("devshell/orders-api/memory.swap.max"));
        Assert.Equal("50000 100000", _tree.Read("devshell/orders-api/cpu.max"));
        Assert.Equal("16", _tree.Read("devshell/orders-api/pids.max"));
        Assert.Equal("default 200", _tree.Read("devshell/orders-api/io.weight"));
        Assert.Empty(h.Notes);

        // The controllers are enabled with one write per level, before the group exists.
        string[] writes = _tree.Writes.Select(w => $"{Path.GetRelativePath(_tree.Root, w.Path)}={w.Value}").ToArray();
        Assert.Equal(
            [
                "cgroup.subtree_control=+cpu +memory +pids +io",
                "devshell/cgroup.subtree_control=+cpu +memory +pids +io",
                "devshell/orders-api/memory.max=33554432",
                "devshell/orders-api/memory.swap.max=0",
                "devshell/orders-api/cpu.max=50000 100000",
                "devshell/orders-api/pids.max=16",
                "devshell/orders-api/io.weight=default 200",
            ],
            writes);
    }

    [Fact]
    public void Handle_exposes_the_one_directory_for_every_enabled_controller_and_its_procs_file()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);

        Assert.Equal(CgroupVersion.V2, h.Version);
        Assert.Equal([Group("web")], h.Directories);
        Assert.Equal([Path.Combine(Group("web"), "cgroup.procs")], h.ProcsFiles);
        foreach (string c in new[] { "cpu", "memory", "pids", "io", CgroupV2Driver.UnifiedKey })
        {
            Assert.Equal(Group("web"), h.Paths[c]);
        }
    }

    [Fact]
    public void Create_without_limits_leaves_the_kernel_defaults()
    {
        _tree.V2Driver().Create("web", CgroupLimits.None);

        Assert.Equal("max\n", _tree.Read("devshell/web/memory.max"));
        Assert.Equal("max 100000\n", _tree.Read("devshell/web/cpu.max"));
        Assert.Equal("max\n", _tree.Read("devshell/web/pids.max"));
        Assert.DoesNotContain(_tree.Writes, w => w.Path.StartsWith(Group("web"), StringComparison.Ordinal));
    }

    [Fact]
    public void Subtree_control_already_enabled_is_not_written_again()
    {
        using var tree = FixtureCgroupTree.V2(subtreeControl: "cpu io memory pids");
        CgroupV2Driver driver = tree.V2Driver();
        driver.Create("a", CgroupLimits.None);
        driver.Create("b", CgroupLimits.None);

        // Root: already enabled. Parent: written once, by the first Create.
        Assert.Equal(["+cpu +memory +pids +io"], tree.Writes.Where(w => w.Path.EndsWith("cgroup.subtree_control", StringComparison.Ordinal)).Select(w => w.Value));
        Assert.Equal(Path.Combine(tree.Root, "devshell", "cgroup.subtree_control"), tree.Writes.Single().Path);
    }

    [Fact]
    public void Only_controllers_the_root_offers_are_enabled()
    {
        using var tree = FixtureCgroupTree.V2(controllers: "cpuset cpu memory pids");
        CgroupHandle h = tree.V2Driver().Create("web", new CgroupLimits(IoWeight: 500));

        Assert.Equal("cpu memory pids\n", tree.Read("cgroup.subtree_control"));
        Assert.False(h.Paths.ContainsKey("io"));
        Assert.Contains(h.Notes, n => n.StartsWith("io weight skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void A_memory_limit_without_the_memory_controller_fails_before_anything_is_created()
    {
        using var tree = FixtureCgroupTree.V2(controllers: "cpu pids");

        var e = Assert.Throws<CgroupException>(() => tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 1 << 30)));

        Assert.Contains("devshell/web", e.Message, StringComparison.Ordinal);
        Assert.Contains("memory controller is not available", e.Message, StringComparison.Ordinal);
        Assert.Contains("remove the limit", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(tree.Root, "devshell")));
        Assert.Empty(tree.Writes);
    }

    [Fact]
    public void A_failed_limit_write_removes_the_half_created_group()
    {
        _tree.BrokenFiles.Add("pids.max");

        var e = Assert.Throws<SyscallException>(() => _tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 1 << 30, Pids: 100)));

        Assert.Equal(Errno.EISDIR, e.Errno);
        Assert.Equal("write", e.Call);
        Assert.Contains("setting pids.max of cgroup devshell/web to \"100\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("(EISDIR)", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Group("web")));
        Assert.True(Directory.Exists(Path.Combine(_tree.Root, "devshell")), "the shared parent stays");
    }

    [Fact]
    public void Creating_an_existing_group_names_it_and_points_to_gc_without_touching_it()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        driver.Create("web", new CgroupLimits(Pids: 10));

        var e = Assert.Throws<CgroupException>(() => driver.Create("web", new CgroupLimits(Pids: 99)));

        Assert.Contains("devshell/web already exists", e.Message, StringComparison.Ordinal);
        Assert.Contains("devshell gc", e.Message, StringComparison.Ordinal);
        Assert.Equal("10", _tree.Read("devshell/web/pids.max"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("sp ace")]
    public void Names_that_are_not_plain_directory_names_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => _tree.V2Driver().Create(name, CgroupLimits.None));
        Assert.False(Directory.Exists(Path.Combine(_tree.Root, "devshell")));
    }

    [Fact]
    public void Io_weight_falls_back_to_bfq_weight_on_the_v1_scale()
    {
        // A kernel whose io controller offers only io.bfq.weight (BFQ scheduler, no io.weight).
        _tree.OmittedFiles.Add("io.weight");
        _tree.ExtraFiles["io.bfq.weight"] = "default 100\n";

        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(IoWeight: 10000));

        Assert.Equal("default 1000", _tree.Read("devshell/web/io.bfq.weight"));
        Assert.Empty(h.Notes);
    }

    [Fact]
    public void Swap_limit_is_skipped_with_a_note_when_swap_accounting_is_off()
    {
        _tree.OmittedFiles.Add("memory.swap.max");

        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 1 << 30, SwapBytes: 0));

        Assert.Equal("1073741824", _tree.Read("devshell/web/memory.max"));
        Assert.Contains(h.Notes, n => n.Contains("swapaccount=1", StringComparison.Ordinal));
    }

    [Fact]
    public void Cpu_quota_is_rounded_and_never_below_the_kernel_minimum()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        driver.Create("a", new CgroupLimits(CpuCores: 1.5));
        driver.Create("b", new CgroupLimits(CpuCores: 0.001));

        Assert.Equal("150000 100000", _tree.Read("devshell/a/cpu.max"));
        Assert.Equal("1000 100000", _tree.Read("devshell/b/cpu.max"));
    }

    [Fact]
    public void AddProcess_writes_the_pid_to_cgroup_procs()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);

        h.AddProcess(4242);

        Assert.Equal("4242\n", _tree.Read("devshell/web/cgroup.procs"));
        Assert.Equal([4242], h.ReadProcesses());
    }

    [Fact]
    public void ReadUsage_parses_the_v2_files()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(MemoryBytes: 32L << 20, CpuCores: 0.5, Pids: 64));
        string g = Group("web");
        _tree.Set(Path.Combine(g, "cpu.stat"), V2Formats.CpuStatBusy);
        _tree.Set(Path.Combine(g, "memory.current"), "31457280\n");
        _tree.Set(Path.Combine(g, "memory.peak"), "33554432\n");
        _tree.Set(Path.Combine(g, "memory.events"), V2Formats.MemoryEventsAfterOom);
        _tree.Set(Path.Combine(g, "pids.current"), "7\n");
        _tree.Set(Path.Combine(g, "pids.events"), V2Formats.PidsEventsAfterForkBomb);
        _tree.Set(Path.Combine(g, "io.stat"), V2Formats.IoStatTwoDevices);

        CgroupUsage u = _tree.V2Driver().ReadUsage(h);

        Assert.Equal(8765432L * 1000, u.CpuUsageNs);
        Assert.Equal(31457280, u.MemoryCurrentBytes);
        Assert.Equal(33554432, u.MemoryPeakBytes);
        Assert.Equal(32L << 20, u.MemoryLimitBytes);
        Assert.Equal(7, u.PidsCurrent);
        Assert.Equal(64, u.PidsLimit);
        Assert.Equal(1048576 + 4194304 + 4096, u.IoBytes);
        Assert.Equal(500, u.CpuLimitMillicores);
        Assert.Equal(2, u.OomKills);
        Assert.Equal(4127, u.MemoryLimitHits);
        Assert.Equal(37, u.PidsLimitHits);
        Assert.Equal(1200, u.CpuPeriods);
        Assert.Equal(1150, u.CpuThrottledPeriods);
        Assert.Equal(57300123L * 1000, u.CpuThrottledNs);
    }

    [Fact]
    public void Usage_of_a_fresh_unlimited_group_reads_zeros_and_no_limits()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);

        CgroupUsage u = _tree.V2Driver().ReadUsage(h);

        Assert.Equal(0, u.CpuUsageNs);
        Assert.Equal(0, u.MemoryCurrentBytes);
        Assert.Null(u.MemoryLimitBytes);
        Assert.Null(u.PidsLimit);
        Assert.Null(u.CpuLimitMillicores);
        Assert.Equal(0, u.IoBytes);
        Assert.Equal(0, u.OomKills);
        Assert.Equal(0, u.CpuPeriods);
    }

    [Fact]
    public void Files_an_older_kernel_lacks_leave_their_fields_null()
    {
        using var tree = FixtureCgroupTree.V2(controllers: "memory");
        tree.OmittedFiles.Add("memory.peak");
        CgroupHandle h = tree.V2Driver().Create("web", CgroupLimits.None);

        Assert.True(tree.V2Driver().TryReadUsage(h, out CgroupUsage u));

        Assert.Null(u.MemoryPeakBytes);
        Assert.Equal(0, u.MemoryCurrentBytes);
        Assert.Null(u.PidsCurrent);
        Assert.Null(u.IoBytes);
        Assert.Null(u.CpuPeriods);
        Assert.Equal(0, u.CpuUsageNs);
    }

    [Fact]
    public void TryReadUsage_is_false_and_ReadUsage_explains_when_the_group_is_gone()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(1)));

        Assert.False(driver.TryReadUsage(h, out _));
        var e = Assert.Throws<CgroupException>(() => driver.ReadUsage(h));
        Assert.Contains("devshell/web: the group is gone", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kept_open_reader_sees_each_new_value()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", CgroupLimits.None);
        using var reader = CgroupUsageReader.Open(h);
        Assert.True(reader.TryRead(out CgroupUsage before));

        _tree.Set(Path.Combine(Group("web"), "memory.current"), "123456789\n");
        Assert.True(reader.TryRead(out CgroupUsage after));

        Assert.Equal(0, before.MemoryCurrentBytes);
        Assert.Equal(123456789, after.MemoryCurrentBytes);
    }

    [Fact]
    public void Limits_are_read_first_and_then_every_refresh_interval()
    {
        CgroupHandle h = _tree.V2Driver().Create("web", new CgroupLimits(Pids: 10));
        using var reader = CgroupUsageReader.Open(h, limitRefreshInterval: 3);
        var seen = new List<long?>();
        for (int i = 0; i < 5; i++)
        {
            if (i == 1)
            {
                _tree.Set(Path.Combine(Group("web"), "pids.max"), "20\n");
            }

            Assert.True(reader.TryRead(out CgroupUsage u));
            seen.Add(u.PidsLimit);
        }

        Assert.Equal([10, 10, 10, 20, 20], seen);
    }

    [Fact]
    public void TryRemove_uses_cgroup_kill_then_removes_subgroups_and_the_group()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        h.AddProcess(1001);
        string nested = Path.Combine(Group("web"), "inner");
        Assert.Equal(0, _tree.Mkdir(nested));
        File.WriteAllText(Path.Combine(nested, "cgroup.procs"), "1002\n");

        Assert.False(driver.TryRemove(h, TimeSpan.Zero), "busy without killing");
        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(2), killRemaining: true));

        Assert.False(Directory.Exists(Group("web")));
        Assert.Equal([1001, 1002], _tree.Kills.Select(k => k.Pid).Order());
        Assert.Contains(_tree.Writes, w => w.Path == Path.Combine(Group("web"), "cgroup.kill") && w.Value == "1");
    }

    [Fact]
    public void TryRemove_without_cgroup_kill_sigkills_each_listed_pid()
    {
        _tree.OmittedFiles.Add("cgroup.kill");
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        h.AddProcess(1001);
        h.AddProcess(1003);

        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(2), killRemaining: true));

        Assert.Equal([(1001, 9), (1003, 9)], _tree.Kills.OrderBy(k => k.Pid));
        Assert.False(Directory.Exists(Group("web")));
    }

    [Fact]
    public void TryRemove_retries_while_rmdir_reports_busy_and_gives_up_at_the_bound()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle a = driver.Create("a", CgroupLimits.None);
        _tree.SpuriousBusy = 4;
        Assert.True(driver.TryRemove(a, TimeSpan.FromSeconds(2)));
        Assert.Equal(0, _tree.SpuriousBusy);

        CgroupHandle b = driver.Create("b", CgroupLimits.None);
        b.AddProcess(2001);
        _tree.KillsWork = false;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(driver.TryRemove(b, TimeSpan.FromMilliseconds(200), killRemaining: true));
        Assert.InRange(sw.ElapsedMilliseconds, 150, 2000);
        Assert.True(Directory.Exists(Group("b")));
    }

    [Fact]
    public void TryRemove_of_a_group_already_gone_is_true()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", CgroupLimits.None);
        Directory.Delete(Group("web"), recursive: true);

        Assert.True(driver.TryRemove(h, TimeSpan.Zero));
    }

    [Fact]
    public void ListGroups_and_ListOrphans_enumerate_the_groups_under_the_parent()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        driver.Create("live", CgroupLimits.None).AddProcess(11);
        driver.Create("stale", CgroupLimits.None);

        IReadOnlyList<CgroupGroupInfo> all = driver.ListGroups();
        IReadOnlyList<CgroupGroupInfo> orphans = driver.ListOrphans(name => name == "live");

        Assert.Equal(["live", "stale"], all.Select(g => g.Name));
        Assert.Equal([1, 0], all.Select(g => g.ProcessCount));
        Assert.Equal("stale", Assert.Single(orphans).Name);
        Assert.Equal(Group("stale"), orphans[0].Handle.Directories[0]);
    }

    [Fact]
    public void TryRemoveParent_removes_an_empty_private_parent_only()
    {
        CgroupV2Driver driver = _tree.V2Driver("devshell-bench-1");
        CgroupHandle h = driver.Create("web", CgroupLimits.None);

        Assert.False(driver.TryRemoveParent());
        Assert.True(driver.TryRemove(h, TimeSpan.FromSeconds(1)));
        Assert.True(driver.TryRemoveParent());
        Assert.False(Directory.Exists(Path.Combine(_tree.Root, "devshell-bench-1")));
    }

    [Fact]
    public void Open_finds_an_existing_group_and_returns_null_for_a_missing_one()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        driver.Create("web", new CgroupLimits(Pids: 5));

        CgroupHandle? h = driver.Open("web");

        Assert.NotNull(h);
        Assert.Equal(Group("web"), h.Paths["pids"]);
        Assert.Equal(5, driver.ReadUsage(h).PidsLimit);
        Assert.Null(driver.Open("nope"));
    }

    [Fact]
    public void Events_written_by_the_kernel_between_two_readings_become_violations()
    {
        CgroupV2Driver driver = _tree.V2Driver();
        CgroupHandle h = driver.Create("web", new CgroupLimits(MemoryBytes: 32L << 20, CpuCores: 0.5, Pids: 64));
        var detector = new ViolationDetector();
        Assert.Empty(detector.Observe("web", driver.ReadUsage(h), groupIsNew: true));

        string g = Group("web");
        _tree.Set(Path.Combine(g, "memory.events"), V2Formats.MemoryEventsAfterOom);
        _tree.Set(Path.Combine(g, "pids.events"), V2Formats.PidsEventsAfterForkBomb);
        _tree.Set(Path.Combine(g, "cpu.stat"), V2Formats.CpuStatBusy);
        IReadOnlyList<Violation> v = detector.Observe("web", driver.ReadUsage(h));

        Assert.Equal(
            [
                new Violation(ViolationKind.OomKill, 2, 32L << 20),
                new Violation(ViolationKind.MemoryMax, 4127, 32L << 20),
                new Violation(ViolationKind.PidsMax, 37, 64),
                new Violation(ViolationKind.CpuThrottled, 1150, 500) { OutOf = 1200 },
            ],
            v);
    }
}
