namespace DevShell.Linux.Tests.Cgroups.Fixtures;

/// <summary>/proc/self/mountinfo and /proc/self/cgroup of real host layouts.</summary>
internal static class MountInfos
{
    /// <summary>This VM (Debian 12, Linux 6.18): v1 with cpu and cpuacct separate, an empty cgroup2 at unified.</summary>
    public const string ThisVm =
        "21 26 0:20 / /proc rw,relatime - proc proc rw\n" +
        "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n" +
        "23 26 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334448k,nr_inodes=3083612,mode=755\n" +
        "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n" +
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
        "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
        "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n" +
        "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n" +
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
        "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n" +
        "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n" +
        "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n" +
        "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n" +
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    public const string ThisVmCgroup =
        "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/f00171c8499fdcd27bce236810c7918a\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    /// <summary>The cgroup.controllers of this VM's cgroup2 mount: only hugetlb (the rest are bound to v1).</summary>
    public const string ThisVmUnifiedControllers = "hugetlb\n";

    /// <summary>A pure v2 host (Ubuntu 22.04 / Fedora, systemd), with shared-propagation optional fields.</summary>
    public const string PureV2 =
        "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n" +
        "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw\n" +
        "28 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro\n" +
        "31 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n" +
        "32 22 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n";

    public const string PureV2Cgroup = "0::/user.slice/user-1000.slice/session-3.scope\n";

    public const string PureV2Controllers = "cpuset cpu io memory hugetlb pids rdma misc\n";

    /// <summary>A systemd "hybrid" host (Debian 10 / Ubuntu 20.04): v1 controllers, cpu,cpuacct co-mounted,
    /// plus cgroup2 at /sys/fs/cgroup/unified for systemd's own tracking.</summary>
    public const string HybridCoMounted =
        "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n" +
        "30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n" +
        "33 24 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n" +
        "34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n" +
        "35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd\n" +
        "38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct\n" +
        "39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n" +
        "40 33 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids\n" +
        "41 33 0:36 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,blkio\n" +
        "42 33 0:37 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,net_cls,net_prio\n";

    public const string HybridCgroup =
        "12:pids:/user.slice/user-1000.slice/session-2.scope\n" +
        "9:memory:/user.slice/user-1000.slice/session-2.scope\n" +
        "4:cpu,cpuacct:/user.slice\n" +
        "3:blkio:/user.slice\n" +
        "2:net_cls,net_prio:/\n" +
        "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n" +
        "0::/user.slice/user-1000.slice/session-2.scope\n";
}
