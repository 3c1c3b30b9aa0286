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
        checks.AddRange(NetworkChecks());

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

    /// <summary>
    /// Network lines: a forward-hook chain of another table that drops by policy (Docker sets iptables' FORWARD to
    /// DROP) stops every bridged env's traffic whatever DevShell's table accepts, since each forward chain must let a
    /// packet pass; the uplink MTU envs get; whether the bridge's send_redirects=0 takes effect.
    /// </summary>
    private static List<DoctorCheck> NetworkChecks()
    {
        string bridge = Environment.GetEnvironmentVariable("DEVSHELL_BRIDGE") is { Length: > 0 } b ? b : Linux.Net.BridgeNetwork.DefaultBridgeName;
        string table = Environment.GetEnvironmentVariable("DEVSHELL_NFT_TABLE") is { Length: > 0 } t ? t : Linux.Net.Nft.NftTableConfig.DefaultTableName;
        var checks = new List<DoctorCheck>();
        if (!Linux.Net.Nft.NftRunner.LibraryAvailable(out string problem))
        {
            checks.Add(new("forward policy", true, $"not checked: {problem}", null));
        }
        else
        {
            try
            {
                var dropping = Linux.Net.Nft.ForwardPolicy.FindDropping(bridge, table, new Linux.Net.Nft.NftRunner(Linux.Net.Nft.NftBackend.Library));
                var blocking = dropping.Where(c => !c.LetsBridgeThrough).ToList();
                string found = dropping.Count == 0
                    ? "no other forward chain drops by default"
                    : string.Join("; ", dropping.Select(c =>
                        $"{c.Family} {c.Table} {c.Chain} (priority {c.Priority}) drops by default{(c.LetsBridgeThrough ? $", but lets {bridge} through" : "")}"));
                checks.Add(new("forward policy", blocking.Count == 0, found, blocking.Count == 0 ? null :
                    $"bridged envs are routed by the host, and DevShell's accept does not override another table's drop (every forward " +
                    $"chain must let a packet pass), so envs reach neither each other nor the outside. DevShell does not edit other " +
                    $"programs' tables; let {bridge} through (DevShell's own table still applies each env's egress policy): " +
                    string.Join(" ; ", blocking.Select(c => c.Fix(bridge)))));
            }
            catch (Exception e) when (e is Linux.Net.Nft.NftException or FormatException or System.Text.Json.JsonException)
            {
                checks.Add(new("forward policy", true, $"not checked: {e.Message}", null));
            }
        }

        checks.Add(new("env MTU", true, $"{Linux.Net.BridgeNetwork.UplinkMtu()} (the default route's interface, at most 1500; envs' traffic to the outside is never fragmented after NAT)", null));
        string all = ReadOr("/proc/sys/net/ipv4/conf/all/send_redirects", "?");
        checks.Add(new("redirects", true, $"net.ipv4.conf.all.send_redirects = {all}", all == "1"
            ? $"DevShell sets it to 0 at the next bridged launch when no other non-bridge interface relies on it; until then the host " +
              $"validates and rate-limits a redirect for every env-to-env packet (a second route lookup) and sends envs useless ICMP redirects"
            : null));
        return checks;
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
