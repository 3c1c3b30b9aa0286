using System.Diagnostics;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Cgroups;

/// <summary>What both drivers share: names, the parent group, writes with good errors, removal and listing.</summary>
public abstract class CgroupDriverBase : ICgroupDriver
{
    private protected CgroupDriverBase(string parentName, ICgroupSyscalls sys)
    {
        ValidateName(parentName, nameof(parentName));
        ParentName = parentName;
        Sys = sys;
    }

    public abstract CgroupVersion Version { get; }

    public string ParentName { get; }

    private protected ICgroupSyscalls Sys { get; }

    public abstract CgroupHandle Create(string name, CgroupLimits limits);

    public abstract CgroupHandle? Open(string name);

    public bool TryRemove(CgroupHandle handle, TimeSpan bound, bool killRemaining = false)
    {
        ArgumentNullException.ThrowIfNull(handle);
        long deadline = Stopwatch.GetTimestamp() + (long)(bound.TotalSeconds * Stopwatch.Frequency);
        int delayMs = 1;
        while (true)
        {
            bool allGone = true;
            foreach (string dir in handle.Directories)
            {
                // The usual case first: an empty leaf group goes with one rmdir. It fails (EBUSY) while the group
                // has processes or subgroups, and only then are they listed, killed and removed below.
                if (Sys.Rmdir(dir) is 0 or Errno.ENOENT)
                {
                    continue;
                }

                List<string> order = PostOrder(dir);
                if (killRemaining)
                {
                    KillAll(dir, order);
                }

                foreach (string d in order)
                {
                    int e = Sys.Rmdir(d);
                    if (e is 0 or Errno.ENOENT)
                    {
                        continue;
                    }

                    if (e is Errno.EBUSY or Errno.ENOTEMPTY or Errno.EAGAIN)
                    {
                        allGone = false;
                        break;
                    }

                    throw new SyscallException("rmdir", e, $"removing cgroup {d}");
                }
            }

            if (allGone)
            {
                return true;
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return false;
            }

            Thread.Sleep(delayMs);
            delayMs = Math.Min(delayMs * 2, 50);
        }
    }

    public bool TryRemoveParent()
    {
        bool gone = true;
        foreach (string root in HierarchyRoots())
        {
            int e = Sys.Rmdir(Path.Join(root, ParentName));
            if (e is Errno.EBUSY or Errno.ENOTEMPTY)
            {
                gone = false;
            }
            else if (e is not (0 or Errno.ENOENT))
            {
                throw new SyscallException("rmdir", e, $"removing the cgroup parent {Path.Join(root, ParentName)}");
            }
        }

        return gone;
    }

    public IReadOnlyList<CgroupGroupInfo> ListGroups()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string root in HierarchyRoots())
        {
            foreach (string dir in Sys.SubDirectories(Path.Join(root, ParentName)))
            {
                names.Add(Path.GetFileName(dir));
            }
        }

        var groups = new List<CgroupGroupInfo>(names.Count);
        foreach (string name in names)
        {
            if (Open(name) is { } handle)
            {
                groups.Add(new CgroupGroupInfo(name, handle, handle.ReadProcesses().Count));
            }
        }

        return groups;
    }

    public IReadOnlyList<CgroupGroupInfo> ListOrphans(Func<string, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(isLive);
        return ListGroups().Where(g => !isLive(g.Name)).ToArray();
    }

    public bool TryReadUsage(CgroupHandle handle, out CgroupUsage usage)
    {
        using var reader = CgroupUsageReader.Open(handle, keepOpen: false);
        return reader.TryRead(out usage);
    }

    public CgroupUsage ReadUsage(CgroupHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return TryReadUsage(handle, out CgroupUsage usage)
            ? usage
            : throw new CgroupException($"cgroup {ParentName}/{handle.Name}: the group is gone (its environment ended or was removed); nothing to read");
    }

    /// <summary>
    /// Environment names become directory names: letters, digits, '-', '_' and '.', not starting with '.',
    /// at most 100 characters.
    /// </summary>
    internal static void ValidateName(string name, string paramName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        bool ok = name.Length is > 0 and <= 100 && name[0] != '.';
        foreach (char c in name)
        {
            ok &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
        }

        if (!ok)
        {
            throw new ArgumentException(
                $"cgroup name \"{name}\" is not usable as a directory name (use letters, digits, '-', '_' or '.', not starting with '.', at most 100 characters)",
                paramName);
        }
    }

    /// <summary>The directories whose "&lt;parent&gt;" subdirectory holds DevShell's groups.</summary>
    private protected abstract IEnumerable<string> HierarchyRoots();

    /// <summary>Creates the parent group if needed (it is shared and never removed by Create's cleanup).</summary>
    private protected void EnsureParent(string parent)
    {
        int e = Sys.Mkdir(parent);
        if (e is 0 or Errno.EEXIST)
        {
            return;
        }

        throw PermissionHint(e, "mkdir", $"creating the DevShell parent cgroup {parent}");
    }

    /// <summary>Creates the environment's own group; an existing one is a name clash (or a leftover).</summary>
    private protected void CreateGroupDirectory(string group, string name)
    {
        int e = Sys.Mkdir(group);
        if (e == 0)
        {
            return;
        }

        if (e == Errno.EEXIST)
        {
            throw new CgroupException(
                $"cgroup {ParentName}/{name} already exists ({group}): an environment named \"{name}\" is running, or one was left behind; stop it or run \"devshell gc\"");
        }

        throw PermissionHint(e, "mkdir", $"creating cgroup {group}");
    }

    private protected void WriteValue(string dir, string file, string value, string name)
    {
        int e = Sys.WriteFile(Path.Join(dir, file), value);
        if (e != 0)
        {
            throw new SyscallException("write", e, $"setting {file} of cgroup {ParentName}/{name} to \"{value}\"");
        }
    }

    /// <summary>Removes directories this call created, newest first, without killing anything.</summary>
    private protected void Undo(List<string> created)
    {
        for (int i = created.Count - 1; i >= 0; i--)
        {
            // Nothing can have joined yet; a short retry covers a kernel still tearing down.
            for (int attempt = 0; attempt < 20; attempt++)
            {
                int e = Sys.Rmdir(created[i]);
                if (e is 0 or Errno.ENOENT || e is not (Errno.EBUSY or Errno.EAGAIN))
                {
                    break;
                }

                Thread.Sleep(5);
            }
        }
    }

    private protected static Exception PermissionHint(int errno, string call, string what) =>
        errno is Errno.EACCES or Errno.EPERM or Errno.EROFS
            ? new CgroupException(
                $"{what}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} ({Errno.Name(errno)}); run DevShell as root or give it a delegated, writable cgroup subtree",
                new SyscallException(call, errno, what))
            : new SyscallException(call, errno, what);

    /// <summary>The subgroups of <paramref name="dir"/>, deepest first, then <paramref name="dir"/> itself.</summary>
    private List<string> PostOrder(string dir)
    {
        var order = new List<string>();
        void Visit(string d)
        {
            foreach (string child in Sys.SubDirectories(d))
            {
                Visit(child);
            }

            order.Add(d);
        }

        Visit(dir);
        return order;
    }

    private void KillAll(string top, List<string> dirs)
    {
        // v2 (Linux 5.14+): one write kills the whole subtree, including processes forked meanwhile.
        string cgroupKill = Path.Join(top, "cgroup.kill");
        if (Version == CgroupVersion.V2 && Sys.FileExists(cgroupKill) && Sys.WriteFile(cgroupKill, "1") == 0)
        {
            return;
        }

        var pids = new HashSet<int>();
        foreach (string d in dirs)
        {
            CgroupText.AddPids(Sys.TryReadFile(Path.Join(d, "cgroup.procs")), pids);
        }

        pids.Remove(Environment.ProcessId);
        foreach (int pid in pids)
        {
            // ESRCH: it exited between reading cgroup.procs and now, which is what we wanted.
            _ = Sys.Kill(pid, LibC.SIGKILL);
        }
    }
}
