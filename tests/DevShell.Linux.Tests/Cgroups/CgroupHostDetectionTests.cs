using DevShell.Linux.Cgroups;
using DevShell.Linux.Tests.Cgroups.Fixtures;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cgroups;

public sealed class CgroupHostDetectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "devshell-detect-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void This_VM_layout_selects_v1_because_the_unified_mount_only_has_hugetlb()
    {
        CgroupHostInfo info = Detect(MountInfos.ThisVm, MountInfos.ThisVmCgroup, ("sys/fs/cgroup/unified", MountInfos.ThisVmUnifiedControllers));

        Assert.Equal(CgroupVersion.V1, info.Version);
        Assert.Equal(Fs("/sys/fs/cgroup/cpu"), info.V1Mounts["cpu"]);
        Assert.Equal(Fs("/sys/fs/cgroup/cpuacct"), info.V1Mounts["cpuacct"]);
        Assert.Equal(Fs("/sys/fs/cgroup/memory"), info.V1Mounts["memory"]);
        Assert.Equal(Fs("/sys/fs/cgroup/pids"), info.V1Mounts["pids"]);
        Assert.Equal(Fs("/sys/fs/cgroup/blkio"), info.V1Mounts["blkio"]);
        Assert.False(info.V1Mounts.ContainsKey("name=systemd"));
        Assert.Equal(Fs("/sys/fs/cgroup/unified"), info.V2MountPoint);
        Assert.Equal(["hugetlb"], info.V2Controllers);
        Assert.Equal(["cpu", "cpuacct", "memory", "pids", "blkio"], info.Available);
        Assert.Empty(info.Missing);
        Assert.Contains(info.Notes, n => n.Contains("hybrid host", StringComparison.Ordinal) && n.Contains("hugetlb", StringComparison.Ordinal));
        Assert.Contains(info.Notes, n => n.Contains("separate hierarchies", StringComparison.Ordinal));
        Assert.Equal("/process_api/f00171c8499fdcd27bce236810c7918a", info.SelfCgroups["memory"]);
        Assert.Equal("/", info.SelfCgroups[""]);
        Assert.IsType<CgroupV1Driver>(info.CreateDriver());
    }

    [Fact]
    public void Pure_v2_host_selects_v2_with_the_root_controllers()
    {
        CgroupHostInfo info = Detect(MountInfos.PureV2, MountInfos.PureV2Cgroup, ("sys/fs/cgroup", MountInfos.PureV2Controllers));

        Assert.Equal(CgroupVersion.V2, info.Version);
        Assert.Equal(Fs("/sys/fs/cgroup"), info.V2MountPoint);
        Assert.Empty(info.V1Mounts);
        Assert.Equal(["cpu", "memory", "pids", "io"], info.Available);
        Assert.Empty(info.Missing);
        Assert.Equal("/user.slice/user-1000.slice/session-3.scope", info.SelfCgroups[""]);
        var driver = Assert.IsType<CgroupV2Driver>(info.CreateDriver());
        Assert.Equal(Fs("/sys/fs/cgroup"), driver.MountPoint);
    }

    [Fact]
    public void V2_host_without_pids_and_io_reports_them_missing_for_doctor()
    {
        CgroupHostInfo info = Detect(MountInfos.PureV2, MountInfos.PureV2Cgroup, ("sys/fs/cgroup", "cpuset cpu memory\n"));

        Assert.Equal(CgroupVersion.V2, info.Version);
        Assert.Equal(["pids", "io"], info.Missing);
        IReadOnlyList<string> lines = info.Describe();
        Assert.Contains("cgroup driver: v2 (unified)", lines);
        Assert.Contains("missing: pids io", lines);
        Assert.Contains(lines, l => l.StartsWith("note: pids controller missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Hybrid_host_with_co_mounted_cpu_cpuacct_selects_v1_and_maps_both_to_one_mount()
    {
        CgroupHostInfo info = Detect(MountInfos.HybridCoMounted, MountInfos.HybridCgroup, ("sys/fs/cgroup/unified", ""));

        Assert.Equal(CgroupVersion.V1, info.Version);
        Assert.Equal(Fs("/sys/fs/cgroup/cpu,cpuacct"), info.V1Mounts["cpu"]);
        Assert.Equal(info.V1Mounts["cpu"], info.V1Mounts["cpuacct"]);
        Assert.Equal(Fs("/sys/fs/cgroup/net_cls,net_prio"), info.V1Mounts["net_cls"]);
        Assert.Empty(info.V2Controllers);
        Assert.Contains(info.Notes, n => n.Contains("without controllers", StringComparison.Ordinal));
        Assert.Contains(info.Notes, n => n.Contains("co-mounted", StringComparison.Ordinal));
        Assert.Equal("/user.slice", info.SelfCgroups["cpu"]);
        Assert.Equal("/user.slice", info.SelfCgroups["cpuacct"]);
        Assert.Equal("/user.slice/user-1000.slice/session-2.scope", info.SelfCgroups["name=systemd"]);

        var driver = Assert.IsType<CgroupV1Driver>(info.CreateDriver());
        Assert.Equal(driver.Mounts["cpu"], driver.Mounts["cpuacct"]);
        Assert.False(driver.Mounts.ContainsKey("net_cls"));
    }

    [Fact]
    public void No_cgroup_mounts_selects_none_and_the_driver_error_says_how_to_fix_it()
    {
        CgroupHostInfo info = Detect(
            "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n", "");

        Assert.Equal(CgroupVersion.None, info.Version);
        var e = Assert.Throws<CgroupException>(() => info.CreateDriver());
        Assert.Contains("mount cgroup2", e.Message, StringComparison.Ordinal);
        Assert.Contains(info.Notes, n => n.StartsWith("no cgroup mount found", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_proc_is_reported_not_thrown()
    {
        CgroupHostInfo info = CgroupHost.Detect(Path.Combine(_root, "no-proc"), _root);

        Assert.Equal(CgroupVersion.None, info.Version);
        Assert.Contains(info.Notes, n => n.Contains("mountinfo", StringComparison.Ordinal));
    }

    [Fact]
    public void Mountinfo_octal_escapes_in_mount_points_are_decoded()
    {
        var entries = CgroupHost.ParseMountInfo(
            "50 30 0:40 / /mnt/my\\040cgroups/mem rw,relatime shared:3 master:1 - cgroup cg\\134x rw,memory\n").ToArray();

        CgroupHost.MountEntry m = Assert.Single(entries);
        Assert.Equal("/mnt/my cgroups/mem", m.MountPoint);
        Assert.Equal("cgroup", m.FsType);
        Assert.Equal("cg\\x", m.Source);
        Assert.Equal("rw,memory", m.SuperOptions);
    }

    [Fact]
    public void A_bind_mount_of_a_subtree_does_not_replace_the_hierarchy_root_mount()
    {
        string mountinfo =
            "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
            "90 26 0:31 /docker/abc /var/lib/x/memory rw,relatime - cgroup cgroup rw,memory\n";

        CgroupHostInfo info = Detect(mountinfo, "4:memory:/\n");

        Assert.Equal(Fs("/sys/fs/cgroup/memory"), info.V1Mounts["memory"]);
    }

    [Fact]
    public void On_this_host_the_chosen_driver_has_memory_and_its_mounts_exist()
    {
        if (!Requires.Feature(File.Exists("/proc/self/mountinfo"), "no /proc/self/mountinfo", output))
        {
            return;
        }

        CgroupHostInfo info = CgroupHost.Detect();
        foreach (string line in info.Describe())
        {
            output.WriteLine(line);
        }

        if (!Requires.Feature(info.Version != CgroupVersion.None, "no cgroup file system mounted", output))
        {
            return;
        }

        Assert.Contains("memory", info.Available);
        if (info.Version == CgroupVersion.V1)
        {
            Assert.All(info.V1Mounts.Values, m => Assert.True(Directory.Exists(m), m));
            Assert.True(File.Exists(Path.Combine(info.V1Mounts["memory"], "memory.limit_in_bytes")));
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(info.V2MountPoint!, "cgroup.controllers")));
        }
    }

    private CgroupHostInfo Detect(string mountinfo, string selfCgroup, params (string Dir, string Controllers)[] v2)
    {
        string proc = Path.Combine(_root, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "self"));
        File.WriteAllText(Path.Combine(proc, "self", "mountinfo"), mountinfo);
        File.WriteAllText(Path.Combine(proc, "self", "cgroup"), selfCgroup);
        foreach ((string dir, string controllers) in v2)
        {
            Directory.CreateDirectory(Path.Combine(_root, dir));
            File.WriteAllText(Path.Combine(_root, dir, "cgroup.controllers"), controllers);
        }

        return CgroupHost.Detect(proc, _root);
    }

    private string Fs(string mountPoint) => Path.Join(_root, mountPoint);
}
