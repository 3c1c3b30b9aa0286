using System.Text.Json;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Launch;

namespace DevShell.Commands;

/// <summary>One line of `devshell doctor`: what the host offers, and what to do when it lacks it.</summary>
public sealed record DoctorCheck(string Item, bool Ok, string Found, string? Fix);

/// <summary>Reports, item by item, what this host offers DevShell. Reads files only; spawns nothing.</summary>
public static class Doctor
{
    public static IReadOnlyList<DoctorCheck> Run(string? dbPath)
    {
        var checks = new List<DoctorCheck>();
        bool root = Linux.Interop.Host.EffectiveUid == 0;
        checks.Add(new("privileges", root, root ? "root" : "rootless (not root)",
            root ? null : "namespaces, cgroups and bridges need root: run `sudo devshell ...` (DevShell never installs setuid)"));

        try
        {
            var cg = CgroupHost.Detect();
            string version = cg.Version switch { CgroupVersion.V2 => "v2 (unified)", CgroupVersion.V1 => "v1", _ => "none" };
            checks.Add(new("cgroup driver", cg.Version != CgroupVersion.None, $"{version}; controllers: {string.Join(' ', cg.Available)}",
                cg.Missing.Count == 0 ? null : $"missing controllers: {string.Join(' ', cg.Missing)} (limits of those kinds cannot be applied)"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CgroupException)
        {
            checks.Add(new("cgroup driver", false, e.Message, "mount cgroup2 at /sys/fs/cgroup (or the v1 hierarchies)"));
        }

        string maxUserNs = ReadOr("/proc/sys/user/max_user_namespaces", "?");
        checks.Add(new("user namespaces", maxUserNs != "0" && maxUserNs != "?", $"user.max_user_namespaces = {maxUserNs}",
            maxUserNs == "0" ? "sysctl -w user.max_user_namespaces=15000 (profiles that ask for a user namespace need it)" : null));

        foreach (var (tool, package) in new[] { ("unshare", "util-linux"), ("nsenter", "util-linux"), ("ip", "iproute2"), ("nft", "nftables") })
        {
            string? path = Spawner.Which(tool);
            checks.Add(new(tool, path is not null, path ?? "not found", path is null ? $"apt-get install {package}" : null));
        }

        var paths = LauncherPaths.Discover();
        bool stage2 = File.Exists(paths.Stage2);
        checks.Add(new("second stage", stage2, stage2 ? paths.Stage2 : $"not found at {paths.Stage2}",
            stage2 ? null : "re-run ./install.sh (it publishes devshell-stage2 next to devshell with NativeAOT)"));
        string? cc = Spawner.Which("clang") ?? Spawner.Which("gcc");
        bool zlib = File.Exists("/usr/include/zlib.h");
        checks.Add(new("NativeAOT toolchain", cc is not null && zlib, $"{cc ?? "no C compiler"}; zlib headers {(zlib ? "present" : "missing")}",
            cc is not null && zlib ? null : "apt-get install clang zlib1g-dev (needed only to build DevShell from source)"));

        string forward = ReadOr("/proc/sys/net/ipv4/ip_forward", "?");
        checks.Add(new("ip_forward", true, $"net.ipv4.ip_forward = {forward}",
            forward == "1" ? null : "DevShell enables it when the first bridged env starts (needed for NAT to the outside)"));
        bool bridge = Directory.Exists("/sys/module/bridge") || ModuleFileExists("kernel/net/bridge/bridge.ko");
        checks.Add(new("bridge support", bridge, bridge ? "bridge module available" : "no bridge module found",
            bridge ? null : "modprobe bridge (network mode bridge needs it)"));

        string tiocsti = ReadOr("/proc/sys/dev/tty/legacy_tiocsti", "n/a");
        checks.Add(new("terminal injection", true, $"dev.tty.legacy_tiocsti = {tiocsti}",
            tiocsti == "1" ? "envs are protected anyway (own session and pty, TIOCSTI blocked by seccomp); sysctl dev.tty.legacy_tiocsti=0 hardens the host" : null));

        if (dbPath is not null)
        {
            checks.Add(new("database", true, File.Exists(dbPath) ? dbPath : $"{dbPath} (created on first use)", null));
        }
        return checks;
    }

    public static int Print(IReadOnlyList<DoctorCheck> checks, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(CliJson.Serialize(checks, CliJson.Options));
        }
        else
        {
            foreach (var c in checks)
            {
                output.WriteLine($"{(c.Ok ? "ok  " : "FAIL")}  {c.Item,-20} {c.Found}");
                if (c.Fix is not null) output.WriteLine($"      {"",-20} -> {c.Fix}");
            }
        }
        return checks.All(c => c.Ok) ? ExitCodes.Ok : ExitCodes.HostUnsupported;
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    private static bool ModuleFileExists(string relative)
    {
        string release = ReadOr("/proc/sys/kernel/osrelease", "");
        string dir = Path.Combine("/lib/modules", release);
        return File.Exists(Path.Combine(dir, relative)) || File.Exists(Path.Combine(dir, relative + ".xz")) || File.Exists(Path.Combine(dir, relative + ".zst"));
    }
}
