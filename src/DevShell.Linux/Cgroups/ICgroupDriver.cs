namespace DevShell.Linux.Cgroups;

/// <summary>
/// Creates, reads and removes environment cgroups under the DevShell parent group ("devshell/&lt;name&gt;").
/// <see cref="CgroupV1Driver"/> and <see cref="CgroupV2Driver"/> implement it; <see cref="CgroupHost.Detect"/>
/// says which applies.
/// </summary>
public interface ICgroupDriver
{
    CgroupVersion Version { get; }

    /// <summary>The parent group's name relative to each hierarchy root, "devshell" by default.</summary>
    string ParentName { get; }

    /// <summary>
    /// Creates "&lt;parent&gt;/&lt;name&gt;" (the parent on demand) and writes <paramref name="limits"/> before any
    /// process can join. A failure removes whatever this call created.
    /// </summary>
    /// <exception cref="CgroupException">The name is taken, or a limit needs a controller this host lacks.</exception>
    /// <exception cref="DevShell.Linux.Interop.SyscallException">The kernel refused a mkdir or a write.</exception>
    CgroupHandle Create(string name, CgroupLimits limits);

    /// <summary>The existing group <paramref name="name"/>, or null if there is none.</summary>
    CgroupHandle? Open(string name);

    /// <summary>
    /// Removes the group, retrying rmdir while it is busy (exiting processes) for up to <paramref name="bound"/>;
    /// with <paramref name="killRemaining"/> SIGKILLs the processes still in it first (v2 cgroup.kill where
    /// available, else each listed pid). Subgroups the environment made are removed first. True when it is gone.
    /// </summary>
    bool TryRemove(CgroupHandle handle, TimeSpan bound, bool killRemaining = false);

    /// <summary>
    /// Removes the parent group itself in every hierarchy, if it has no groups left (for a private parent such as
    /// a test's or a benchmark's). True when it is gone.
    /// </summary>
    bool TryRemoveParent();

    /// <summary>Every group under the parent, with the number of processes in it (for devshell gc).</summary>
    IReadOnlyList<CgroupGroupInfo> ListGroups();

    /// <summary>The groups under the parent whose name <paramref name="isLive"/> does not claim.</summary>
    IReadOnlyList<CgroupGroupInfo> ListOrphans(Func<string, bool> isLive);

    /// <summary>Reads the usage once (opens and closes the files). False when the group is gone.</summary>
    bool TryReadUsage(CgroupHandle handle, out CgroupUsage usage);

    /// <summary>Like <see cref="TryReadUsage"/>, but a missing group is an error.</summary>
    /// <exception cref="CgroupException">The group no longer exists.</exception>
    CgroupUsage ReadUsage(CgroupHandle handle);
}

/// <summary>A group found under the DevShell parent.</summary>
public sealed record CgroupGroupInfo(string Name, CgroupHandle Handle, int ProcessCount);
