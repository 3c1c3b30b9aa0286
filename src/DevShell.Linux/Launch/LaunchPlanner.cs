using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using Tmds.Linux;

namespace DevShell.Linux.Launch;

/// <summary>What the front has prepared for an env before stage two runs.</summary>
public sealed record PreparedResources
{
    public IReadOnlyList<string> CgroupDirs { get; init; } = [];
    public string? NetnsPath { get; init; }
    public string? HostsFile { get; init; }
    public string? ResolvConf { get; init; }
    public string? PrivateHome { get; init; }
}

/// <summary>How the env is entered.</summary>
public sealed record LaunchRequest
{
    /// <summary>Command to run; empty means the profile's shell (interactive) or its default command.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    public bool Interactive { get; init; }
    public bool Tty { get; init; }

    /// <summary>File descriptors for the env's stdin, stdout and stderr; null passes the front's own through.</summary>
    public (int In, int Out, int Err)? Stdio { get; init; }
}

/// <summary>
/// Turns a validated profile, the developer and the prepared resources into the second stage's spec and the
/// util-linux unshare command line. Pure: no I/O, so every rule here is unit-tested.
/// </summary>
public static class LaunchPlanner
{
    /// <summary>Host variables passed into the env; everything else is left outside.</summary>
    public static readonly string[] PassThrough = ["TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ", "NO_COLOR"];

    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static LaunchSpec BuildSpec(Profile profile, Developer dev, string sessionId, LaunchRequest request,
        PreparedResources res, IReadOnlyDictionary<string, string?> hostEnv)
    {
        var ns = new HashSet<string>(profile.Namespaces, StringComparer.Ordinal);
        var spec = new LaunchSpec
        {
            SessionId = sessionId,
            Hostname = ns.Contains("uts") ? profile.Hostname ?? profile.Name : "",
            CgroupNamespace = ns.Contains("cgroup"),
            NetnsPath = res.NetnsPath,
            LoopbackUp = ns.Contains("net") && res.NetnsPath is null,
            FreshSysfs = ns.Contains("net"),
            RootMode = profile.Filesystem.Mode,
            Rootfs = profile.Filesystem.Mode == "rootfs" ? profile.Filesystem.Rootfs : null,
            Uid = dev.Uid,
            Gid = dev.Gid,
            Home = dev.Home,
            Cwd = profile.Workdir is not null ? dev.Expand(profile.Workdir) : profile.Filesystem.Mode == "rootfs" ? "/" : dev.Home,
            Seccomp = profile.Security.Seccomp,
            Tty = request.Tty,
            KeepAlive = request.Interactive,
            OnEnter = profile.Hooks.OnEnter,
            OnExit = profile.Hooks.OnExit,
        };
        spec.CgroupDirs.AddRange(res.CgroupDirs);
        spec.Groups.AddRange(dev.Groups);
        spec.KeepCaps.AddRange(profile.Security.Caps);
        if (ns.Contains("user"))
        {
            spec.UserNamespace = true;
            FitGroupsToMap(spec);
        }

        spec.Mounts.Add(new MountOp("tmpfs", null, "/tmp", false, "mode=1777"));
        if (res.PrivateHome is not null)
        {
            spec.Mounts.Add(new MountOp("bind", res.PrivateHome, dev.Home, false, null));
        }
        else if (spec.RootMode == "readonly")
        {
            spec.Mounts.Add(new MountOp("bind", dev.Home, dev.Home, false, null));
        }
        if (spec.RootMode == "readonly" && profile.Workdir is not null && !IsUnder(spec.Cwd, dev.Home))
        {
            spec.Mounts.Add(new MountOp("bind", spec.Cwd, spec.Cwd, false, null));
        }
        if (res.HostsFile is not null) spec.Mounts.Add(new MountOp("bind", res.HostsFile, "/etc/hosts", true, null));
        if (res.ResolvConf is not null) spec.Mounts.Add(new MountOp("bind", res.ResolvConf, "/etc/resolv.conf", true, null));
        foreach (var m in profile.Mounts)
        {
            string target = dev.Expand(m.Target);
            spec.Mounts.Add(m.Type == "tmpfs"
                ? new MountOp("tmpfs", null, target, false, m.Size is null ? "mode=1777" : $"mode=1777,size={m.Size}")
                : new MountOp("bind", dev.Expand(m.Source!), target, m.ReadOnly, null));
        }
        foreach (var mask in profile.Masks) spec.Mounts.Add(new MountOp("mask", null, dev.Expand(mask), true, null));

        foreach (var kv in BuildEnv(profile, dev, sessionId, hostEnv)) spec.Env.Add($"{kv.Key}={kv.Value}");

        if (request.Command.Count > 0) spec.Argv.AddRange(request.Command);
        else if (!request.Interactive && profile.Command is { Count: > 0 }) spec.Argv.AddRange(profile.Command);
        else spec.Argv.Add(profile.Shell);
        return spec;
    }

    /// <summary>The shell's whole environment: a clean base, a short pass-through list, then the profile's variables.</summary>
    public static SortedDictionary<string, string> BuildEnv(Profile profile, Developer dev, string sessionId, IReadOnlyDictionary<string, string?> hostEnv)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = dev.Home,
            ["USER"] = dev.Name,
            ["LOGNAME"] = dev.Name,
            ["SHELL"] = profile.Shell,
            ["PATH"] = DefaultPath,
            ["DEVSHELL_SESSION"] = sessionId,
            ["DEVSHELL_PROFILE"] = profile.Name,
        };
        foreach (var (key, value) in hostEnv)
        {
            if (value is null) continue;
            if (Array.IndexOf(PassThrough, key) >= 0 || key.StartsWith("LC_", StringComparison.Ordinal)) env[key] = value;
        }
        foreach (var (key, value) in profile.Env) env[key] = value;
        return env;
    }

    /// <summary>util-linux unshare arguments that create the namespaces and run stage two as PID 1.</summary>
    /// <summary>
    /// The unshare(2) flags with which the front starts stage two (<see cref="NamespaceSpawner"/>): mount and PID
    /// namespaces always, UTS and IPC as the profile says, a network namespace unless a prepared one is joined. A user
    /// namespace is not among them: stage two makes it around the payload only (see Stage2/UserNamespace.cs), so the
    /// env's other namespaces are the same with or without one.
    /// </summary>
    public static int NamespaceFlags(Profile profile, bool joinsPreparedNetns)
    {
        int flags = LibC.CLONE_NEWNS | LibC.CLONE_NEWPID;
        if (profile.Namespaces.Contains("uts", StringComparer.Ordinal)) flags |= LibC.CLONE_NEWUTS;
        if (profile.Namespaces.Contains("ipc", StringComparer.Ordinal)) flags |= LibC.CLONE_NEWIPC;
        if (profile.Namespaces.Contains("net", StringComparer.Ordinal) && !joinsPreparedNetns) flags |= LibC.CLONE_NEWNET;
        return flags;
    }

    /// <summary>
    /// Arguments that join a running env (by its PID 1) and start stage two's payload: stage two's join mode (host
    /// side, <paramref name="stage2Path"/>) execs nsenter, which execs <paramref name="stage2Inside"/> in the env.
    /// </summary>
    public static List<string> NsenterArgs(IReadOnlyCollection<string> namespaces, int initPid, string stage2Path, string stage2Inside, string nsenterPath)
    {
        var args = new List<string> { stage2Path, "join", nsenterPath, $"--target={initPid.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "--mount", "--pid" };
        if (namespaces.Contains("uts")) args.Add("--uts");
        if (namespaces.Contains("ipc")) args.Add("--ipc");
        if (namespaces.Contains("net")) args.Add("--net");
        if (namespaces.Contains("cgroup")) args.Add("--cgroup");
        if (namespaces.Contains("user"))
        {
            // The env's user namespace is held open by PID 1 on a known fd (it owns none of the other namespaces, so
            // --target alone would not find it). nsenter enters it last, after the namespaces the host owns; stage
            // two's join mode has already taken the developer's gid and groups and adds --setuid for the uid, since a
            // process entering a user namespace where root is unmapped loses its capabilities at the next exec.
            args.Add($"--user=/proc/{initPid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/fd/{LaunchSpec.UserNamespaceFd.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            args.Add("--preserve-credentials");
        }
        args.AddRange(["--root", "--wd", "--", stage2Inside, "payload"]);
        return args;
    }

    /// <summary>
    /// Keeps the developer's groups that fit in one gid_map (at most <see cref="LaunchSpec.MaxMapLines"/> lines, one
    /// write shorter than a page): the primary group always, then supplementary groups in order. Returns the groups
    /// left out; inside the env the developer is simply not a member of them.
    /// </summary>
    public static List<int> FitGroupsToMap(LaunchSpec spec)
    {
        var kept = new HashSet<int>();
        int lines = 0, bytes = 0;
        foreach (var g in spec.MappedGroups())
        {
            int length = (2 * g.ToString(System.Globalization.CultureInfo.InvariantCulture).Length) + 4; // "g g 1\n"
            if (lines + 1 > LaunchSpec.MaxMapLines || bytes + length > LaunchSpec.MaxMapBytes) break;
            kept.Add(g);
            lines++;
            bytes += length;
        }
        var dropped = spec.Groups.Where(g => !kept.Contains(g)).ToList();
        spec.Groups.RemoveAll(g => !kept.Contains(g));
        return dropped;
    }

    private static bool IsUnder(string path, string dir) =>
        path == dir || path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal);
}
