namespace DevShell.Linux.Cgroups;

/// <summary>Which cgroup interface DevShell drives on this host.</summary>
public enum CgroupVersion
{
    /// <summary>No usable cgroup mount was found.</summary>
    None = 0,

    /// <summary>Legacy per-controller hierarchies (cpu, cpuacct, memory, pids, blkio).</summary>
    V1 = 1,

    /// <summary>The unified hierarchy.</summary>
    V2 = 2,
}
