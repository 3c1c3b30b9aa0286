// This file is compiled into both DevShell.Linux (which writes it) and DevShell.Stage2 (which reads it):
// keep it free of dependencies, reflection and LINQ so it stays NativeAOT- and trim-friendly.
using System.Text;

namespace DevShell.Linux.Launch;

/// <summary>
/// Everything the second stage needs to build the environment and exec the shell: a closed list of operations,
/// computed and checked by the front before anything touches the kernel. Serialized as one directive per line,
/// "key\tvalue[\tvalue...]", with \\, \t and \n escaped, so no parser beyond a split is needed in stage two.
/// </summary>
public sealed class LaunchSpec
{
    public string SessionId { get; set; } = "";
    public string Hostname { get; set; } = "";

    /// <summary>cgroup.procs directories to join (one per v1 hierarchy, one on v2).</summary>
    public List<string> CgroupDirs { get; } = [];

    /// <summary>Create a cgroup namespace after joining the cgroup.</summary>
    public bool CgroupNamespace { get; set; }

    /// <summary>Persistent netns file to join with setns; null keeps the namespace unshare created.</summary>
    public string? NetnsPath { get; set; }

    /// <summary>Bring loopback up (in a fresh network namespace).</summary>
    public bool LoopbackUp { get; set; }

    /// <summary>Mount a fresh sysfs so /sys/class/net shows the env's own interfaces (and cgroupfs is hidden).</summary>
    public bool FreshSysfs { get; set; }

    /// <summary>host | readonly | rootfs.</summary>
    public string RootMode { get; set; } = "host";

    public string? Rootfs { get; set; }

    /// <summary>Mounts in order. Kinds: bind (src, dst, ro), tmpfs (dst, size, mode), mask (dst).</summary>
    public List<MountOp> Mounts { get; } = [];

    public int Uid { get; set; }
    public int Gid { get; set; }
    public List<int> Groups { get; } = [];

    /// <summary>
    /// Run the shell (and hooks) in a user namespace whose maps hold only the developer: <see cref="Uid"/> and
    /// <see cref="Gid"/> plus <see cref="Groups"/>, each mapped to itself. Root is unmapped there (host root-owned
    /// files show as nobody). The env's other namespaces stay owned by the host's user namespace, so a capability
    /// held inside grants nothing over mounts, network, hostname or cgroups.
    /// </summary>
    public bool UserNamespace { get; set; }

    /// <summary>PID 1 keeps the env's user namespace open on this fd, so attach can join it (/proc/PID/fd/N).</summary>
    public const int UserNamespaceFd = 100;

    /// <summary>The kernel takes at most 340 lines per map, written with one write() shorter than a page.</summary>
    public const int MaxMapLines = 340;

    public const int MaxMapBytes = 4095;

    /// <summary>uid_map: the developer only, mapped to itself.</summary>
    public string UidMap() => Invariant(Uid) + " " + Invariant(Uid) + " 1\n";

    /// <summary>gid_map: the primary group then each supplementary group, each mapped to itself, without repeats.</summary>
    public string GidMap()
    {
        var sb = new StringBuilder();
        foreach (var g in MappedGroups()) sb.Append(Invariant(g)).Append(' ').Append(Invariant(g)).Append(" 1\n");
        return sb.ToString();
    }

    /// <summary>The groups <see cref="GidMap"/> maps: the primary gid first, then <see cref="Groups"/> in order, distinct.</summary>
    public List<int> MappedGroups()
    {
        var list = new List<int> { Gid };
        var seen = new HashSet<int> { Gid };
        foreach (var g in Groups)
        {
            if (seen.Add(g)) list.Add(g);
        }
        return list;
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public string Home { get; set; } = "/";
    public string Cwd { get; set; } = "/";

    /// <summary>The complete environment of the shell (the front decides it; stage two adds nothing).</summary>
    public List<string> Env { get; } = [];

    public List<string> Argv { get; } = [];

    /// <summary>Capabilities kept (names like CAP_NET_BIND_SERVICE); all others are dropped everywhere.</summary>
    public List<string> KeepCaps { get; } = [];

    public bool Seccomp { get; set; } = true;

    /// <summary>stdin is a terminal: make it the controlling terminal of the shell's new session.</summary>
    public bool Tty { get; set; }

    /// <summary>After the main process exits, keep the env while other processes live (interactive) or kill them (run).</summary>
    public bool KeepAlive { get; set; }

    public string? OnEnter { get; set; }
    public string? OnExit { get; set; }

    public string Serialize()
    {
        var sb = new StringBuilder(1024);
        Line(sb, "session", SessionId);
        Line(sb, "hostname", Hostname);
        foreach (var dir in CgroupDirs) Line(sb, "cgroup", dir);
        Flag(sb, "cgroupns", CgroupNamespace);
        if (NetnsPath is not null) Line(sb, "netns", NetnsPath);
        Flag(sb, "lo", LoopbackUp);
        Flag(sb, "sysfs", FreshSysfs);
        Line(sb, "rootmode", RootMode);
        if (Rootfs is not null) Line(sb, "rootfs", Rootfs);
        foreach (var m in Mounts) Line(sb, "mount", m.Kind, m.Source ?? "", m.Target, m.ReadOnly ? "ro" : "rw", m.Options ?? "");
        Line(sb, "uid", Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Line(sb, "gid", Gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var g in Groups) Line(sb, "group", g.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Flag(sb, "userns", UserNamespace);
        Line(sb, "home", Home);
        Line(sb, "cwd", Cwd);
        foreach (var e in Env) Line(sb, "env", e);
        foreach (var a in Argv) Line(sb, "arg", a);
        foreach (var c in KeepCaps) Line(sb, "cap", c);
        Flag(sb, "seccomp", Seccomp);
        Flag(sb, "tty", Tty);
        Flag(sb, "keepalive", KeepAlive);
        if (OnEnter is not null) Line(sb, "on_enter", OnEnter);
        if (OnExit is not null) Line(sb, "on_exit", OnExit);
        return sb.ToString();
    }

    public static LaunchSpec Parse(string text)
    {
        var spec = new LaunchSpec();
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Length == 0) continue;
            var f = raw.Split('\t');
            for (int i = 0; i < f.Length; i++) f[i] = Unescape(f[i]);
            string v = f.Length > 1 ? f[1] : "";
            switch (f[0])
            {
                case "session": spec.SessionId = v; break;
                case "hostname": spec.Hostname = v; break;
                case "cgroup": spec.CgroupDirs.Add(v); break;
                case "cgroupns": spec.CgroupNamespace = v == "1"; break;
                case "netns": spec.NetnsPath = v; break;
                case "lo": spec.LoopbackUp = v == "1"; break;
                case "sysfs": spec.FreshSysfs = v == "1"; break;
                case "rootmode": spec.RootMode = v; break;
                case "rootfs": spec.Rootfs = v; break;
                case "mount":
                    if (f.Length < 6) throw new FormatException($"launch spec: bad mount line: {raw}");
                    spec.Mounts.Add(new MountOp(f[1], f[2].Length == 0 ? null : f[2], f[3], f[4] == "ro", f[5].Length == 0 ? null : f[5]));
                    break;
                case "uid": spec.Uid = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                case "gid": spec.Gid = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
                case "group": spec.Groups.Add(int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)); break;
                case "userns": spec.UserNamespace = v == "1"; break;
                case "home": spec.Home = v; break;
                case "cwd": spec.Cwd = v; break;
                case "env": spec.Env.Add(v); break;
                case "arg": spec.Argv.Add(v); break;
                case "cap": spec.KeepCaps.Add(v); break;
                case "seccomp": spec.Seccomp = v == "1"; break;
                case "tty": spec.Tty = v == "1"; break;
                case "keepalive": spec.KeepAlive = v == "1"; break;
                case "on_enter": spec.OnEnter = v; break;
                case "on_exit": spec.OnExit = v; break;
                default: throw new FormatException($"launch spec: unknown directive '{f[0]}'");
            }
        }
        if (spec.Argv.Count == 0) throw new FormatException("launch spec: no command (arg lines)");
        return spec;
    }

    private static void Flag(StringBuilder sb, string key, bool value) => Line(sb, key, value ? "1" : "0");

    private static void Line(StringBuilder sb, string key, params string[] values)
    {
        sb.Append(key);
        foreach (var v in values) sb.Append('\t').Append(Escape(v));
        sb.Append('\n');
    }

    private static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny('\\', '\t', '\n') < 0) return s;
        return s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal)) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                char n = s[++i];
                sb.Append(n switch { 't' => '\t', 'n' => '\n', _ => n });
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }
}

/// <summary>One mount operation of the second stage. Kind: bind | tmpfs | mask.</summary>
public sealed record MountOp(string Kind, string? Source, string Target, bool ReadOnly, string? Options);
