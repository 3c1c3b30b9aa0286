using System.Globalization;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// cgroup v1: one directory per group in each controller hierarchy DevShell uses (cpu, cpuacct, memory, pids,
/// blkio). cpu and cpuacct may be separate mounts or one co-mounted "cpu,cpuacct" hierarchy.
/// </summary>
public sealed class CgroupV1Driver : CgroupDriverBase
{
    /// <summary>The controllers DevShell uses on v1.</summary>
    internal static readonly string[] Controllers = ["cpu", "cpuacct", "memory", "pids", "blkio"];

    private readonly Dictionary<string, string> _mounts;
    private readonly string _procRoot;

    /// <param name="controllerMounts">
    /// Controller name to the mount point of its hierarchy, e.g. memory → /sys/fs/cgroup/memory; co-mounted
    /// controllers map to the same directory. Missing controllers are simply not used.
    /// </param>
    /// <param name="parentName">The DevShell parent group under each hierarchy root.</param>
    /// <param name="procRoot">Where proc is mounted (&lt;procRoot&gt;/swaps says whether swap is active).</param>
    public CgroupV1Driver(IReadOnlyDictionary<string, string> controllerMounts, string parentName = "devshell", string procRoot = "/proc")
        : this(controllerMounts, parentName, LinuxCgroupSyscalls.Instance, procRoot)
    {
    }

    internal CgroupV1Driver(IReadOnlyDictionary<string, string> controllerMounts, string parentName, ICgroupSyscalls sys, string procRoot = "/proc")
        : base(parentName, sys)
    {
        ArgumentNullException.ThrowIfNull(controllerMounts);
        _procRoot = procRoot;
        _mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string c in Controllers)
        {
            if (controllerMounts.TryGetValue(c, out string? mount) && !string.IsNullOrEmpty(mount))
            {
                _mounts[c] = mount;
            }
        }
    }

    public override CgroupVersion Version => CgroupVersion.V1;

    /// <summary>The hierarchies in use: controller → mount point.</summary>
    public IReadOnlyDictionary<string, string> Mounts => _mounts;

    public override CgroupHandle Create(string name, CgroupLimits limits)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        RequireControllers(name, limits);

        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = new List<string>();
        var notes = new List<string>();
        try
        {
            foreach (string mount in _mounts.Values.Distinct(StringComparer.Ordinal))
            {
                string parent = Path.Join(mount, ParentName);
                EnsureParent(parent);
                string group = Path.Join(parent, name);
                CreateGroupDirectory(group, name);
                created.Add(group);
            }

            foreach ((string controller, string mount) in _mounts)
            {
                paths[controller] = Path.Join(mount, ParentName, name);
            }

            WriteLimits(paths, name, limits, notes);
        }
        catch
        {
            Undo(created);
            throw;
        }

        return new CgroupHandle(name, CgroupVersion.V1, paths, limits, notes, Sys);
    }

    public override CgroupHandle? Open(string name)
    {
        ValidateName(name);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string controller, string mount) in _mounts)
        {
            string group = Path.Join(mount, ParentName, name);
            if (Sys.DirectoryExists(group))
            {
                paths[controller] = group;
            }
        }

        return paths.Count == 0 ? null : new CgroupHandle(name, CgroupVersion.V1, paths, CgroupLimits.None, [], Sys);
    }

    private protected override IEnumerable<string> HierarchyRoots() => _mounts.Values.Distinct(StringComparer.Ordinal);

    private void WriteLimits(Dictionary<string, string> paths, string name, CgroupLimits limits, List<string> notes)
    {
        if (paths.TryGetValue("memory", out string? memory))
        {
            if (limits.MemoryBytes is { } bytes)
            {
                // memory.limit_in_bytes first: memsw must never be below it.
                WriteValue(memory, "memory.limit_in_bytes", bytes.ToString(CultureInfo.InvariantCulture), name);
            }

            if (limits.SwapBytes is { } swap)
            {
                if (limits.MemoryBytes is not { } mem)
                {
                    notes.Add("swap limit skipped: on cgroup v1 it is memory+swap (memory.memsw.limit_in_bytes) and needs a memory limit");
                }
                else if (!Sys.FileExists(Path.Join(memory, "memory.memsw.limit_in_bytes")))
                {
                    notes.Add("swap limit skipped: memory.memsw.limit_in_bytes is missing (swap accounting is off; boot with swapaccount=1 to enforce it)");
                }
                else if (swap == 0 && !SwapIsActive())
                {
                    // Without swap, memory+swap = memory and the limit adds nothing, but it costs the memory_max
                    // signal: the kernel charges memsw first, and Linux 6.18 (measured) counts no memsw.failcnt.
                    notes.Add("swap limit not written: no swap is active on this host, so memory.limit_in_bytes alone holds (swapon later would let the environment swap)");
                }
                else
                {
                    WriteValue(memory, "memory.memsw.limit_in_bytes", (mem + swap).ToString(CultureInfo.InvariantCulture), name);
                }
            }
        }

        if (limits.CpuQuotaMicros is { } quota && paths.TryGetValue("cpu", out string? cpu))
        {
            WriteValue(cpu, "cpu.cfs_period_us", CgroupLimits.CpuPeriodMicros.ToString(CultureInfo.InvariantCulture), name);
            WriteValue(cpu, "cpu.cfs_quota_us", quota.ToString(CultureInfo.InvariantCulture), name);
        }

        if (limits.Pids is { } pids && paths.TryGetValue("pids", out string? pidsDir))
        {
            WriteValue(pidsDir, "pids.max", pids.ToString(CultureInfo.InvariantCulture), name);
        }

        if (limits.IoWeight is { } weight)
        {
            string value = CgroupLimits.ToV1BlkioWeight(weight).ToString(CultureInfo.InvariantCulture);
            if (!paths.TryGetValue("blkio", out string? blkio))
            {
                notes.Add("io weight skipped: the blkio hierarchy is not mounted");
            }
            else if (Sys.FileExists(Path.Join(blkio, "blkio.weight")))
            {
                WriteValue(blkio, "blkio.weight", value, name);
            }
            else if (Sys.FileExists(Path.Join(blkio, "blkio.bfq.weight")))
            {
                WriteValue(blkio, "blkio.bfq.weight", value, name);
            }
            else
            {
                notes.Add("io weight skipped: neither blkio.weight nor blkio.bfq.weight exists (the disks' IO scheduler has no weights, e.g. mq-deadline without bfq)");
            }
        }
    }

    /// <summary>Whether &lt;proc&gt;/swaps lists a swap area (true when it cannot be read: assume the worst).</summary>
    private bool SwapIsActive()
    {
        string? swaps = Sys.TryReadFile(Path.Join(_procRoot, "swaps"));
        return swaps is null || swaps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1;
    }

    private void RequireControllers(string name, CgroupLimits limits)
    {
        var missing = new List<string>();
        if ((limits.MemoryBytes is not null || limits.SwapBytes is not null) && !_mounts.ContainsKey("memory"))
        {
            missing.Add("memory");
        }

        if (limits.CpuCores is not null && !_mounts.ContainsKey("cpu"))
        {
            missing.Add("cpu");
        }

        if (limits.Pids is not null && !_mounts.ContainsKey("pids"))
        {
            missing.Add("pids");
        }

        if (missing.Count > 0)
        {
            throw new CgroupException(
                $"cgroup {ParentName}/{name}: the {string.Join(", ", missing)} cgroup v1 hierarch{(missing.Count > 1 ? "ies are" : "y is")} not mounted, so the profile's limits cannot be enforced; mount {(missing.Count > 1 ? "them" : "it")} (e.g. mount -t cgroup -o {missing[0]} cgroup /sys/fs/cgroup/{missing[0]}) or remove the limit from the profile (\"devshell doctor\" shows what this host offers)");
        }
    }
}
