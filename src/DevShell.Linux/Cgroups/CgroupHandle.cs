using System.Globalization;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// One environment's cgroup: its name under the DevShell parent and its directory in each controller hierarchy
/// (one directory on v2, one per hierarchy on v1). The launcher records <see cref="Paths"/>; the second stage
/// joins by writing "0" to each of <see cref="ProcsFiles"/>.
/// </summary>
public sealed class CgroupHandle
{
    private readonly ICgroupSyscalls _sys;

    internal CgroupHandle(
        string name,
        CgroupVersion version,
        IReadOnlyDictionary<string, string> paths,
        CgroupLimits limits,
        IReadOnlyList<string> notes,
        ICgroupSyscalls sys)
    {
        Name = name;
        Version = version;
        Paths = paths;
        Limits = limits;
        Notes = notes;
        _sys = sys;
        Directories = paths.Values.Distinct(StringComparer.Ordinal).ToArray();
        ProcsFiles = Directories.Select(d => Path.Join(d, "cgroup.procs")).ToArray();
    }

    /// <summary>The environment's name, e.g. "orders-api"; the group is "&lt;parent&gt;/&lt;name&gt;".</summary>
    public string Name { get; }

    public CgroupVersion Version { get; }

    /// <summary>
    /// Controller name to absolute directory. v2: cpu, memory, pids, io (those enabled) all map to the one
    /// directory. v1: cpu, cpuacct, memory, pids, blkio (those mounted); co-mounted cpu,cpuacct share a directory.
    /// </summary>
    public IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary>The distinct directories of <see cref="Paths"/>.</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>The cgroup.procs file of each directory; writing a pid (or "0" for oneself) joins the group.</summary>
    public IReadOnlyList<string> ProcsFiles { get; }

    /// <summary>The limits written at creation (<see cref="CgroupLimits.None"/> for a reopened group).</summary>
    public CgroupLimits Limits { get; }

    /// <summary>Limits that were skipped and why, e.g. no io weight file on this host.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Moves <paramref name="pid"/> (all its threads) into the group in every hierarchy.</summary>
    /// <exception cref="SyscallException">The process is gone (ESRCH) or the group is (ENOENT).</exception>
    public void AddProcess(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pid);
        string value = pid.ToString(CultureInfo.InvariantCulture);
        foreach (string procs in ProcsFiles)
        {
            int errno = _sys.WriteFile(procs, value);
            if (errno != 0)
            {
                throw new SyscallException("write", errno, $"moving process {pid} into cgroup {Name} ({procs})");
            }
        }
    }

    /// <summary>The pids in the group's directories (the union over hierarchies), read from cgroup.procs.</summary>
    public IReadOnlyList<int> ReadProcesses()
    {
        var pids = new SortedSet<int>();
        foreach (string procs in ProcsFiles)
        {
            CgroupText.AddPids(_sys.TryReadFile(procs), pids);
        }

        return pids.ToArray();
    }

    public override string ToString() => $"cgroup {Name} ({Version}: {string.Join(", ", Directories)})";
}
