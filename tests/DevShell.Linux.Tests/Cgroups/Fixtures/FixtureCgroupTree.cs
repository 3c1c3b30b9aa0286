using System.Globalization;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Tests.Cgroups.Fixtures;

/// <summary>
/// A cgroup file system in a temp dir, laid out like the real v1 or v2 trees, standing in for the kernel at the
/// <see cref="ICgroupSyscalls"/> seam. Writes and reads are real file operations (through the real
/// <see cref="LinuxCgroupSyscalls"/>); only what the kernel does by itself is emulated: populating a new group's
/// interface files on mkdir, the v2 subtree_control set semantics, appending to cgroup.procs, refusing rmdir
/// while a group has processes or children, and a killed process leaving cgroup.procs. Kills are recorded,
/// never sent.
/// </summary>
internal sealed class FixtureCgroupTree : ICgroupSyscalls, IDisposable
{
    private readonly LinuxCgroupSyscalls _real = LinuxCgroupSyscalls.Instance;

    /// <summary>Hierarchy root → controllers bound to it (v1), or the one v2 root → "".</summary>
    private readonly Dictionary<string, string[]> _hierarchies = new(StringComparer.Ordinal);

    private FixtureCgroupTree(CgroupVersion version)
    {
        Version = version;
        Root = Path.Combine(Path.GetTempPath(), "devshell-cgfix-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
    }

    public CgroupVersion Version { get; }

    /// <summary>The temp dir holding the tree.</summary>
    public string Root { get; }

    /// <summary>v2: the mount point (Root itself).</summary>
    public string V2Mount => Root;

    /// <summary>v1: controller → hierarchy mount point.</summary>
    public Dictionary<string, string> V1Mounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Every write, in order: (path, value).</summary>
    public List<(string Path, string Value)> Writes { get; } = [];

    /// <summary>Every kill, in order: (pid, signal).</summary>
    public List<(int Pid, int Signal)> Kills { get; } = [];

    /// <summary>File names that a new group gets as a directory instead (its write then fails with EISDIR).</summary>
    public HashSet<string> BrokenFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>When false, kills are recorded but the processes "survive" (stay in cgroup.procs).</summary>
    public bool KillsWork { get; set; } = true;

    /// <summary>rmdir answers EBUSY this many more times even when the group is empty (exiting processes).</summary>
    public int SpuriousBusy { get; set; }

    /// <summary>Files every new group gets in addition (file → content).</summary>
    public Dictionary<string, string> ExtraFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Files a new v2 group does not get (e.g. memory.peak before Linux 5.19).</summary>
    public HashSet<string> OmittedFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>A v2 tree whose root offers <paramref name="controllers"/>.</summary>
    public static FixtureCgroupTree V2(string controllers = "cpuset cpu io memory hugetlb pids rdma misc", string subtreeControl = "")
    {
        var t = new FixtureCgroupTree(CgroupVersion.V2);
        t._hierarchies[t.Root] = [];
        t.Put(t.Root, "cgroup.controllers", controllers + "\n");
        t.Put(t.Root, "cgroup.subtree_control", subtreeControl + "\n");
        t.Put(t.Root, "cgroup.procs", "1\n");
        t.Put(t.Root, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        return t;
    }

    /// <summary>
    /// A v1 tree with one hierarchy per entry, e.g. "cpu", "cpuacct", "memory" (this VM) or "cpu,cpuacct"
    /// (co-mounted, as on Debian 10 / CentOS 7).
    /// </summary>
    public static FixtureCgroupTree V1(params string[] hierarchies)
    {
        var t = new FixtureCgroupTree(CgroupVersion.V1);
        foreach (string h in hierarchies.Length > 0 ? hierarchies : ["cpu", "cpuacct", "memory", "pids", "blkio"])
        {
            string mount = Path.Combine(t.Root, h);
            Directory.CreateDirectory(mount);
            string[] controllers = h.Split(',');
            t._hierarchies[mount] = controllers;
            foreach (string c in controllers)
            {
                t.V1Mounts[c] = mount;
            }

            t.Put(mount, "cgroup.procs", "1\n");
            t.Put(mount, "tasks", "1\n");
        }

        return t;
    }

    public CgroupV2Driver V2Driver(string parent = "devshell") => new(V2Mount, parent, this);

    public CgroupV1Driver V1Driver(string parent = "devshell") => new(V1Mounts, parent, this, ProcRoot);

    /// <summary>A proc tree beside the cgroups; its swaps lists one active swap area unless <see cref="NoSwap"/>.</summary>
    public string ProcRoot
    {
        get
        {
            string proc = Path.Combine(Root, "proc");
            Directory.CreateDirectory(proc);
            File.WriteAllText(
                Path.Combine(proc, "swaps"),
                "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" + (NoSwap ? "" : "/dev/vda2                               partition\t2097148\t\t0\t\t-2\n"));
            return proc;
        }
    }

    /// <summary>The fixture host has no active swap.</summary>
    public bool NoSwap { get; set; }

    /// <summary>Reads a file of the tree, relative to <see cref="Root"/>.</summary>
    public string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    /// <summary>Overwrites a file in place (same inode, like the kernel regenerating it).</summary>
    public void Set(string relativeOrAbsolute, string content)
    {
        string path = Path.IsPathRooted(relativeOrAbsolute) ? relativeOrAbsolute : Path.Combine(Root, relativeOrAbsolute);
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.SetLength(0);
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(content);
        f.Write(bytes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // ---- ICgroupSyscalls: the emulated kernel ----

    public int Mkdir(string path)
    {
        int e = _real.Mkdir(path);
        if (e == 0)
        {
            Populate(path);
        }

        return e;
    }

    public int Rmdir(string path)
    {
        if (!Directory.Exists(path))
        {
            return Errno.ENOENT;
        }

        string procs = Path.Combine(path, "cgroup.procs");
        if ((File.Exists(procs) && File.ReadAllText(procs).Trim().Length > 0) || Directory.GetDirectories(path).Any(d => File.Exists(Path.Combine(d, "cgroup.procs"))))
        {
            return Errno.EBUSY;
        }

        if (SpuriousBusy > 0)
        {
            SpuriousBusy--;
            return Errno.EBUSY;
        }

        // The kernel removes a group's interface files with it; a plain directory would be ENOTEMPTY.
        foreach (string entry in Directory.GetFileSystemEntries(path))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        return _real.Rmdir(path);
    }

    public int WriteFile(string path, string value)
    {
        Writes.Add((path, value));
        string name = Path.GetFileName(path);
        string dir = Path.GetDirectoryName(path)!;
        if (name == "cgroup.procs" && File.Exists(path))
        {
            File.AppendAllText(path, value.Trim() + "\n");
            return 0;
        }

        if (name == "cgroup.subtree_control" && Version == CgroupVersion.V2 && File.Exists(path))
        {
            HashSet<string> available = CgroupText.Words(File.ReadAllText(Path.Combine(dir, "cgroup.controllers")));
            var enabled = new List<string>(CgroupText.Words(File.ReadAllText(path)));
            foreach (string token in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                string c = token[1..];
                if (!available.Contains(c))
                {
                    return Errno.ENOENT; // what the kernel answers for a controller the parent does not offer
                }

                if (token[0] == '+' && !enabled.Contains(c))
                {
                    enabled.Add(c);
                }
                else if (token[0] == '-')
                {
                    enabled.Remove(c);
                }
            }

            File.WriteAllText(path, string.Join(' ', KernelOrder(enabled)) + "\n");
            return 0;
        }

        if (name == "cgroup.kill" && File.Exists(path) && value == "1")
        {
            foreach (string procs in Directory.GetFiles(dir, "cgroup.procs", SearchOption.AllDirectories))
            {
                foreach (int pid in Pids(procs))
                {
                    Kills.Add((pid, 9));
                }

                if (KillsWork)
                {
                    File.WriteAllText(procs, "");
                }
            }

            return 0;
        }

        return _real.WriteFile(path, value);
    }

    public string? TryReadFile(string path) => _real.TryReadFile(path);

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IReadOnlyList<string> SubDirectories(string path) => _real.SubDirectories(path);

    public int Kill(int pid, int signal)
    {
        Kills.Add((pid, signal));
        if (!KillsWork)
        {
            return 0;
        }

        bool found = false;
        foreach (string procs in Directory.GetFiles(Root, "cgroup.procs", SearchOption.AllDirectories))
        {
            int[] pids = Pids(procs);
            if (pids.Contains(pid))
            {
                found = true;
                File.WriteAllText(procs, string.Concat(pids.Where(p => p != pid).Select(p => p.ToString(CultureInfo.InvariantCulture) + "\n")));
            }
        }

        return found ? 0 : Errno.ESRCH;
    }

    private static int[] Pids(string procs) =>
        File.ReadAllText(procs).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    private static IEnumerable<string> KernelOrder(IEnumerable<string> controllers)
    {
        string[] order = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];
        return controllers.OrderBy(c => Array.IndexOf(order, c) is int i && i >= 0 ? i : int.MaxValue);
    }

    private void Populate(string dir)
    {
        string parent = Path.GetDirectoryName(dir)!;
        foreach ((string file, string content) in ExtraFiles)
        {
            Put(dir, file, content);
        }

        if (Version == CgroupVersion.V2)
        {
            string enabledText = File.Exists(Path.Combine(parent, "cgroup.subtree_control")) ? File.ReadAllText(Path.Combine(parent, "cgroup.subtree_control")) : "";
            HashSet<string> enabled = CgroupText.Words(enabledText);
            Put(dir, "cgroup.controllers", string.Join(' ', KernelOrder(enabled)) + "\n");
            Put(dir, "cgroup.subtree_control", "\n");
            Put(dir, "cgroup.procs", "");
            Put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
            Put(dir, "cgroup.kill", "");
            Put(dir, "cpu.stat", enabled.Contains("cpu") ? V2Formats.CpuStatIdleWithCpuController : V2Formats.CpuStatIdleCore);
            if (enabled.Contains("cpu"))
            {
                Put(dir, "cpu.max", "max 100000\n");
                Put(dir, "cpu.weight", "100\n");
            }

            if (enabled.Contains("memory"))
            {
                Put(dir, "memory.current", "0\n");
                Put(dir, "memory.peak", "0\n");
                Put(dir, "memory.max", "max\n");
                Put(dir, "memory.swap.max", "max\n");
                Put(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
                Put(dir, "memory.stat", V2Formats.MemoryStatIdle);
            }

            if (enabled.Contains("pids"))
            {
                Put(dir, "pids.current", "0\n");
                Put(dir, "pids.max", "max\n");
                Put(dir, "pids.events", "max 0\nmax.imposed 0\n");
            }

            if (enabled.Contains("io"))
            {
                Put(dir, "io.stat", "");
                Put(dir, "io.weight", "default 100\n");
            }

            return;
        }

        string mount = _hierarchies.Keys.First(h => dir.StartsWith(h + "/", StringComparison.Ordinal));
        Put(dir, "cgroup.procs", "");
        Put(dir, "tasks", "");
        Put(dir, "notify_on_release", "0\n");
        foreach (string c in _hierarchies[mount])
        {
            switch (c)
            {
                case "cpu":
                    Put(dir, "cpu.cfs_period_us", "100000\n");
                    Put(dir, "cpu.cfs_quota_us", "-1\n");
                    Put(dir, "cpu.shares", "1024\n");
                    Put(dir, "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n");
                    break;
                case "cpuacct":
                    Put(dir, "cpuacct.usage", "0\n");
                    Put(dir, "cpuacct.stat", "user 0\nsystem 0\n");
                    break;
                case "memory":
                    Put(dir, "memory.usage_in_bytes", "0\n");
                    Put(dir, "memory.max_usage_in_bytes", "0\n");
                    Put(dir, "memory.limit_in_bytes", "9223372036854771712\n");
                    Put(dir, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
                    Put(dir, "memory.failcnt", "0\n");
                    Put(dir, "memory.memsw.failcnt", "0\n");
                    Put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
                    break;
                case "pids":
                    Put(dir, "pids.current", "0\n");
                    Put(dir, "pids.max", "max\n");
                    Put(dir, "pids.events", "max 0\n");
                    Put(dir, "pids.peak", "0\n");
                    break;
                case "blkio":
                    Put(dir, "blkio.bfq.weight", "100\n");
                    Put(dir, "blkio.throttle.io_service_bytes", "Total 0\n");
                    Put(dir, "blkio.throttle.io_service_bytes_recursive", "Total 0\n");
                    break;
            }
        }
    }

    private void Put(string dir, string file, string content)
    {
        string path = Path.Combine(dir, file);
        if (OmittedFiles.Contains(file))
        {
            return;
        }

        if (BrokenFiles.Contains(file) && dir != Root && !_hierarchies.ContainsKey(dir))
        {
            Directory.CreateDirectory(path);
            return;
        }

        File.WriteAllText(path, content);
    }
}
