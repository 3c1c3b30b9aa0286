using System.Text;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// Finds the cgroup mounts from &lt;proc&gt;/self/mountinfo and this process's groups from &lt;proc&gt;/self/cgroup,
/// and decides which driver applies. Nothing about paths is assumed.
/// </summary>
public static class CgroupHost
{
    /// <param name="procRoot">Where proc is mounted (a fixture tree in tests).</param>
    /// <param name="fsRoot">
    /// Prefix for the mount points found in mountinfo when reading files under them (cgroup.controllers); "/" on a
    /// real host, a fixture tree's root in tests. Reported mount points include it.
    /// </param>
    public static CgroupHostInfo Detect(string procRoot = "/proc", string fsRoot = "/")
    {
        var notes = new List<string>();
        string mountinfoPath = Path.Join(procRoot, "self", "mountinfo");
        string? mountinfo = LinuxCgroupSyscalls.Instance.TryReadFile(mountinfoPath);
        if (mountinfo is null)
        {
            notes.Add($"cannot read {mountinfoPath}: is /proc mounted?");
        }

        var v1Mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        var v1Roots = new Dictionary<string, string>(StringComparer.Ordinal);
        string? v2Mount = null;
        foreach (MountEntry m in ParseMountInfo(mountinfo ?? ""))
        {
            if (m.FsType == "cgroup2")
            {
                // The first cgroup2 mount wins; later ones are bind mounts of the same hierarchy.
                v2Mount ??= Rebase(fsRoot, m.MountPoint);
            }
            else if (m.FsType == "cgroup")
            {
                foreach (string option in m.SuperOptions.Split(','))
                {
                    if (option is "rw" or "ro" || option.Length == 0)
                    {
                        continue;
                    }

                    // "name=systemd" is a named hierarchy without a controller; keep it for the report.
                    string controller = option;
                    bool better = !v1Mounts.ContainsKey(controller) || (v1Roots[controller] != "/" && m.Root == "/");
                    if (IsController(controller) && better)
                    {
                        v1Mounts[controller] = Rebase(fsRoot, m.MountPoint);
                        v1Roots[controller] = m.Root;
                    }
                }
            }
        }

        string? cgroupText = LinuxCgroupSyscalls.Instance.TryReadFile(Path.Join(procRoot, "self", "cgroup"));
        var self = ParseSelfCgroup(cgroupText ?? "");

        string[] v2Controllers = [];
        if (v2Mount is not null)
        {
            string controllersFile = Path.Join(v2Mount, "cgroup.controllers");
            string? text = LinuxCgroupSyscalls.Instance.TryReadFile(controllersFile);
            if (text is null)
            {
                notes.Add($"cannot read {controllersFile}");
            }

            v2Controllers = CgroupText.Words(text).Order(StringComparer.Ordinal).ToArray();
        }

        string[] v2Ours = CgroupV2Driver.Controllers.Where(v2Controllers.Contains).ToArray();
        string[] v1Ours = CgroupV1Driver.Controllers.Where(v1Mounts.ContainsKey).ToArray();

        // A controller is bound to one hierarchy at a time, so the two sets are disjoint. Memory decides; otherwise
        // the side with more of DevShell's controllers (v2 on a tie, when it is mounted at all).
        CgroupVersion version;
        if (v2Ours.Contains("memory"))
        {
            version = CgroupVersion.V2;
        }
        else if (v1Ours.Contains("memory"))
        {
            version = CgroupVersion.V1;
        }
        else if (v2Mount is not null && v2Ours.Length >= v1Ours.Length)
        {
            version = CgroupVersion.V2;
        }
        else if (v1Ours.Length > 0)
        {
            version = CgroupVersion.V1;
        }
        else
        {
            version = CgroupVersion.None;
        }

        string[] available = version switch
        {
            CgroupVersion.V2 => v2Ours,
            CgroupVersion.V1 => v1Ours,
            _ => [],
        };
        string[] wanted = version == CgroupVersion.V1 ? CgroupV1Driver.Controllers : CgroupV2Driver.Controllers;
        string[] missing = wanted.Where(c => !available.Contains(c)).ToArray();

        if (version == CgroupVersion.V1 && v2Mount is not null)
        {
            notes.Add(v2Controllers.Length == 0
                ? $"hybrid host: cgroup2 is mounted at {v2Mount} without controllers; using the v1 hierarchies"
                : $"hybrid host: cgroup2 at {v2Mount} has only {string.Join(", ", v2Controllers)}; using the v1 hierarchies");
        }

        if (version == CgroupVersion.V1 && v1Mounts.TryGetValue("cpu", out string? cpuMount)
            && v1Mounts.TryGetValue("cpuacct", out string? cpuacctMount))
        {
            notes.Add(cpuMount == cpuacctMount
                ? $"cpu and cpuacct are co-mounted at {cpuMount}"
                : $"cpu and cpuacct are separate hierarchies ({cpuMount}, {cpuacctMount})");
        }

        foreach (string c in missing)
        {
            notes.Add(MissingNote(version, c));
        }

        if (version == CgroupVersion.None)
        {
            notes.Add("no cgroup mount found: limits and usage are unavailable (mount cgroup2 at /sys/fs/cgroup, or the v1 hierarchies)");
        }

        return new CgroupHostInfo(
            version,
            v2Mount,
            v2Controllers,
            v1Mounts,
            self,
            available,
            missing,
            notes);
    }

    /// <summary>One line of mountinfo, the fields DevShell needs.</summary>
    internal readonly record struct MountEntry(string Root, string MountPoint, string FsType, string Source, string SuperOptions);

    /// <summary>
    /// Parses mountinfo: "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue". The
    /// optional fields end at the lone "-"; paths escape space, tab, newline and backslash as \ooo octal.
    /// </summary>
    internal static IEnumerable<MountEntry> ParseMountInfo(string text)
    {
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ');
            int dash = f.Length < 9 ? -1 : Array.IndexOf(f, "-", 6);
            if (dash < 0 || dash + 2 >= f.Length)
            {
                continue;
            }

            yield return new MountEntry(
                Unescape(f[3]),
                Unescape(f[4]),
                f[dash + 1],
                Unescape(f[dash + 2]),
                dash + 3 < f.Length ? f[dash + 3] : "");
        }
    }

    /// <summary>
    /// Parses /proc/self/cgroup: "4:memory:/process_api/x" (v1) and "0::/user.slice" (v2, key ""). Named v1
    /// hierarchies keep their "name=..." key; co-mounted controllers each get the path.
    /// </summary>
    internal static Dictionary<string, string> ParseSelfCgroup(string text)
    {
        var self = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int a = line.IndexOf(':', StringComparison.Ordinal);
            int b = a < 0 ? -1 : line.IndexOf(':', a + 1);
            if (b < 0)
            {
                continue;
            }

            string controllers = line[(a + 1)..b];
            string path = line[(b + 1)..];
            if (controllers.Length == 0)
            {
                self[""] = path;
                continue;
            }

            foreach (string c in controllers.Split(','))
            {
                self[c] = path;
            }
        }

        return self;
    }

    private static bool IsController(string option) => option is
        "cpu" or "cpuacct" or "cpuset" or "memory" or "devices" or "freezer" or "net_cls" or "net_prio"
        or "blkio" or "perf_event" or "hugetlb" or "pids" or "rdma" or "misc";

    private static string Rebase(string fsRoot, string mountPoint) =>
        fsRoot is "/" or "" ? mountPoint : Path.Join(fsRoot, mountPoint);

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)(((s[i + 1] - '0') * 64) + ((s[i + 2] - '0') * 8) + (s[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private static string MissingNote(CgroupVersion version, string controller) => (version, controller) switch
    {
        (CgroupVersion.V2, "io") => "io controller missing: io weights are skipped and IO bytes are not reported",
        (CgroupVersion.V1, "blkio") => "blkio hierarchy missing: io weights are skipped and IO bytes are not reported",
        (CgroupVersion.V1, "cpuacct") => "cpuacct hierarchy missing: CPU usage is not reported",
        (CgroupVersion.V2, _) => $"{controller} controller missing from the cgroup2 root's cgroup.controllers: {controller} limits cannot be enforced",
        (CgroupVersion.V1, _) => $"{controller} hierarchy not mounted: {controller} limits cannot be enforced",
        _ => $"{controller}: unavailable",
    };
}

/// <summary>What <see cref="CgroupHost.Detect"/> found, for the drivers and for "devshell doctor".</summary>
/// <param name="Version">The driver that applies.</param>
/// <param name="V2MountPoint">Where cgroup2 is mounted, if anywhere (also on hybrid hosts).</param>
/// <param name="V2Controllers">The cgroup2 root's cgroup.controllers.</param>
/// <param name="V1Mounts">v1 controller → mount point (co-mounted controllers share one).</param>
/// <param name="SelfCgroups">This process's groups from /proc/self/cgroup: controller (or "" for v2) → path.</param>
/// <param name="Available">DevShell's controllers usable with <paramref name="Version"/>.</param>
/// <param name="Missing">DevShell's controllers this host lacks for <paramref name="Version"/>.</param>
/// <param name="Notes">Human-readable findings and what they mean.</param>
public sealed record CgroupHostInfo(
    CgroupVersion Version,
    string? V2MountPoint,
    IReadOnlyList<string> V2Controllers,
    IReadOnlyDictionary<string, string> V1Mounts,
    IReadOnlyDictionary<string, string> SelfCgroups,
    IReadOnlyList<string> Available,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Notes)
{
    /// <summary>The driver for this host.</summary>
    /// <param name="parentName">The DevShell parent group.</param>
    /// <param name="procRoot">Where proc is mounted (the v1 driver reads &lt;procRoot&gt;/swaps).</param>
    /// <exception cref="CgroupException">No cgroup mount was found.</exception>
    public ICgroupDriver CreateDriver(string parentName = "devshell", string procRoot = "/proc") => Version switch
    {
        CgroupVersion.V2 => new CgroupV2Driver(V2MountPoint!, parentName),
        CgroupVersion.V1 => new CgroupV1Driver(V1Mounts, parentName, procRoot),
        _ => throw new CgroupException("no cgroup file system is mounted, so DevShell cannot apply limits or measure usage; mount cgroup2 at /sys/fs/cgroup (or the v1 hierarchies) and run \"devshell doctor\""),
    };

    /// <summary>Lines for "devshell doctor".</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string> { $"cgroup driver: {Version switch { CgroupVersion.V2 => "v2 (unified)", CgroupVersion.V1 => "v1 (per-controller hierarchies)", _ => "none" }}" };
        if (V2MountPoint is not null)
        {
            lines.Add($"cgroup2 mount: {V2MountPoint} (controllers: {(V2Controllers.Count == 0 ? "none" : string.Join(' ', V2Controllers))})");
        }

        foreach (string c in CgroupV1Driver.Controllers)
        {
            if (V1Mounts.TryGetValue(c, out string? mount))
            {
                lines.Add($"cgroup v1 {c}: {mount}");
            }
        }

        lines.Add($"available: {(Available.Count == 0 ? "none" : string.Join(' ', Available))}");
        lines.Add($"missing: {(Missing.Count == 0 ? "none" : string.Join(' ', Missing))}");
        foreach (string note in Notes)
        {
            lines.Add($"note: {note}");
        }

        return lines;
    }
}
