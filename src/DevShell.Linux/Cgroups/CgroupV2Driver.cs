using System.Globalization;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// cgroup v2: one directory per group under the unified mount. Controllers are enabled top-down through
/// cgroup.subtree_control of the mount root and of the DevShell parent before the group is made.
/// </summary>
public sealed class CgroupV2Driver : CgroupDriverBase
{
    /// <summary>The controllers DevShell uses, in the order they are enabled.</summary>
    internal static readonly string[] Controllers = ["cpu", "memory", "pids", "io"];

    /// <summary>The key of <see cref="CgroupHandle.Paths"/> that is always present on v2.</summary>
    public const string UnifiedKey = "unified";

    /// <param name="mountPoint">Where cgroup2 is mounted, e.g. /sys/fs/cgroup (a fixture tree in tests).</param>
    /// <param name="parentName">The DevShell parent group under the mount root.</param>
    public CgroupV2Driver(string mountPoint, string parentName = "devshell")
        : this(mountPoint, parentName, LinuxCgroupSyscalls.Instance)
    {
    }

    internal CgroupV2Driver(string mountPoint, string parentName, ICgroupSyscalls sys)
        : base(parentName, sys)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        MountPoint = mountPoint;
    }

    public override CgroupVersion Version => CgroupVersion.V2;

    public string MountPoint { get; }

    public override CgroupHandle Create(string name, CgroupLimits limits)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();

        HashSet<string> rootControllers = ReadWords(MountPoint, "cgroup.controllers");
        RequireControllers(name, limits, rootControllers, MountPoint);
        string[] wanted = Controllers.Where(rootControllers.Contains).ToArray();
        EnableSubtree(MountPoint, wanted);

        string parent = Path.Join(MountPoint, ParentName);
        EnsureParent(parent);
        HashSet<string> parentControllers = ReadWords(parent, "cgroup.controllers");
        RequireControllers(name, limits, parentControllers, parent);
        wanted = wanted.Where(parentControllers.Contains).ToArray();
        EnableSubtree(parent, wanted);

        string group = Path.Join(parent, name);
        CreateGroupDirectory(group, name);
        var created = new List<string> { group };
        var notes = new List<string>();
        try
        {
            WriteLimits(group, name, limits, notes);
        }
        catch
        {
            Undo(created);
            throw;
        }

        return NewHandle(name, group, wanted, limits, notes);
    }

    public override CgroupHandle? Open(string name)
    {
        ValidateName(name);
        string group = Path.Join(MountPoint, ParentName, name);
        if (!Sys.DirectoryExists(group))
        {
            return null;
        }

        HashSet<string> enabled = ReadWords(group, "cgroup.controllers");
        return NewHandle(name, group, Controllers.Where(enabled.Contains).ToArray(), CgroupLimits.None, []);
    }

    private protected override IEnumerable<string> HierarchyRoots() => [MountPoint];

    private CgroupHandle NewHandle(string name, string group, string[] controllers, CgroupLimits limits, IReadOnlyList<string> notes)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal) { [UnifiedKey] = group };
        foreach (string c in controllers)
        {
            paths[c] = group;
        }

        return new CgroupHandle(name, CgroupVersion.V2, paths, limits, notes, Sys);
    }

    private void WriteLimits(string group, string name, CgroupLimits limits, List<string> notes)
    {
        if (limits.MemoryBytes is { } memory)
        {
            WriteValue(group, "memory.max", memory.ToString(CultureInfo.InvariantCulture), name);
        }

        if (limits.SwapBytes is { } swap)
        {
            if (Sys.FileExists(Path.Join(group, "memory.swap.max")))
            {
                WriteValue(group, "memory.swap.max", swap.ToString(CultureInfo.InvariantCulture), name);
            }
            else
            {
                notes.Add("swap limit skipped: memory.swap.max is missing (swap accounting is off; boot with swapaccount=1 to enforce it)");
            }
        }

        if (limits.CpuQuotaMicros is { } quota)
        {
            WriteValue(group, "cpu.max", string.Create(CultureInfo.InvariantCulture, $"{quota} {CgroupLimits.CpuPeriodMicros}"), name);
        }

        if (limits.Pids is { } pids)
        {
            WriteValue(group, "pids.max", pids.ToString(CultureInfo.InvariantCulture), name);
        }

        if (limits.IoWeight is { } weight)
        {
            if (Sys.FileExists(Path.Join(group, "io.weight")))
            {
                WriteValue(group, "io.weight", string.Create(CultureInfo.InvariantCulture, $"default {weight}"), name);
            }
            else if (Sys.FileExists(Path.Join(group, "io.bfq.weight")))
            {
                WriteValue(group, "io.bfq.weight", string.Create(CultureInfo.InvariantCulture, $"default {CgroupLimits.ToV1BlkioWeight(weight)}"), name);
            }
            else
            {
                notes.Add("io weight skipped: neither io.weight nor io.bfq.weight exists (the io controller is off, or the disks' scheduler has no weights)");
            }
        }
    }

    /// <summary>Enables <paramref name="controllers"/> for the children of <paramref name="dir"/> if not already.</summary>
    private void EnableSubtree(string dir, string[] controllers)
    {
        HashSet<string> enabled = ReadWords(dir, "cgroup.subtree_control");
        string[] missing = controllers.Where(c => !enabled.Contains(c)).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        string value = string.Join(' ', missing.Select(c => "+" + c));
        string file = Path.Join(dir, "cgroup.subtree_control");
        int e = Sys.WriteFile(file, value);
        if (e == 0)
        {
            return;
        }

        var inner = new SyscallException("write", e, $"enabling controllers \"{value}\" in {file}");
        throw e == Errno.EBUSY
            ? new CgroupException(
                $"cannot enable \"{value}\" in {file}: the cgroup has processes of its own and cgroup v2 forbids controllers there (\"no internal processes\"); run DevShell from a cgroup that is not the root of this container, or move those processes into a child group",
                inner)
            : inner;
    }

    private void RequireControllers(string name, CgroupLimits limits, HashSet<string> available, string where)
    {
        static string? Need(string controller, bool wanted, HashSet<string> available) =>
            wanted && !available.Contains(controller) ? controller : null;

        string[] missing = new[]
        {
            Need("memory", limits.MemoryBytes is not null || limits.SwapBytes is not null, available),
            Need("cpu", limits.CpuCores is not null, available),
            Need("pids", limits.Pids is not null, available),
        }.OfType<string>().ToArray();

        if (missing.Length > 0)
        {
            throw new CgroupException(
                $"cgroup {ParentName}/{name}: the {string.Join(", ", missing)} controller{(missing.Length > 1 ? "s are" : " is")} not available in {where}/cgroup.controllers, so the profile's limits cannot be enforced; enable {(missing.Length > 1 ? "them" : "it")} for DevShell's cgroup (e.g. systemd Delegate=yes) or remove the limit from the profile (\"devshell doctor\" shows what this host offers)");
        }
    }

    private HashSet<string> ReadWords(string dir, string file) =>
        CgroupText.Words(Sys.TryReadFile(Path.Join(dir, file)));
}
