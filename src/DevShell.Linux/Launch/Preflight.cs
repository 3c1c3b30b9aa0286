using DevShell.Core.Profiles;
using DevShell.Linux.Identity;

namespace DevShell.Linux.Launch;

/// <summary>The host cannot honour a profile; raised before anything is created.</summary>
public sealed class HostUnsupportedException(string message) : Exception(message);

/// <summary>
/// Checks, before anything touches the kernel, that this host can honour the profile: privileges, tools, paths the
/// profile names. Validation of the profile itself happened in Core; this is about the host.
/// </summary>
public static class Preflight
{
    public sealed record Problem(string Field, string Message, bool HostLacks);

    /// <param name="procRoot">where /proc is read from (fixture trees in tests).</param>
    public static IReadOnlyList<Problem> Check(Profile profile, Developer dev, LauncherPaths paths, bool isRoot, IReadOnlyCollection<string>? missingControllers = null, string procRoot = "/proc")
    {
        var problems = new List<Problem>();
        if (!isRoot)
        {
            problems.Add(new("", "devshell needs root to create namespaces, cgroups and bridges: run it with sudo (it drops to you inside the env)", true));
            return problems;
        }
        if (!File.Exists(paths.Stage2)) problems.Add(new("", $"the second stage is missing at {paths.Stage2}: re-run ./install.sh", true));
        if (!File.Exists(paths.Unshare)) problems.Add(new("", $"util-linux unshare is missing ({paths.Unshare}): apt-get install util-linux", true));
        if (profile.Namespaces.Contains("user")) problems.AddRange(UserNamespaceProblems(profile, dev, procRoot));

        bool rootfs = profile.Filesystem.Mode == "rootfs";
        string Inside(string path) => rootfs ? Path.Join(profile.Filesystem.Rootfs, path) : path;
        if (rootfs && !Directory.Exists(profile.Filesystem.Rootfs)) problems.Add(new("filesystem.rootfs", $"\"{profile.Filesystem.Rootfs}\" is not a directory on this host", false));
        if (!File.Exists(Inside(profile.Shell))) problems.Add(new("shell", $"\"{profile.Shell}\" does not exist{(rootfs ? " in the rootfs" : "")}", false));
        if (profile.Workdir is not null && !Directory.Exists(dev.Expand(profile.Workdir)))
        {
            problems.Add(new("workdir", $"\"{profile.Workdir}\" does not exist on this host (create it, or change the profile)", false));
        }
        for (int i = 0; i < profile.Mounts.Count; i++)
        {
            var m = profile.Mounts[i];
            if (m.Type == "bind" && m.Source is not null && !Path.Exists(dev.Expand(m.Source)))
            {
                problems.Add(new($"mounts[{i}].source", $"\"{m.Source}\" does not exist on this host", false));
            }
            if (!Path.Exists(Inside(dev.Expand(m.Target))))
            {
                problems.Add(new($"mounts[{i}].target", $"\"{m.Target}\" does not exist{(rootfs ? " in the rootfs" : "")}; DevShell mounts over existing paths only, so it never creates files on the host", false));
            }
        }
        if (missingControllers is { Count: > 0 })
        {
            var l = profile.Limits;
            void Need(string controller, bool wanted, string field)
            {
                if (wanted && missingControllers.Contains(controller))
                {
                    problems.Add(new(field, $"this host has no {controller} cgroup controller, so the limit cannot be applied (see `devshell doctor`)", true));
                }
            }
            Need("memory", l.Memory is not null || l.Swap is not null, "limits.memory");
            Need("cpu", l.Cpu is not null, "limits.cpu");
            Need("pids", l.Pids is not null, "limits.pids");
        }
        if (profile.Network.Mode == "bridge" && Spawner.Which("nft") is null)
        {
            problems.Add(new("network.mode", "bridge networking needs nftables: apt-get install nftables", true));
        }
        return problems;
    }

    /// <summary>
    /// What keeps a user namespace from being honoured. DevShell creates it as root, so only the kernel-wide switches
    /// matter: no user namespace support at all, or user.max_user_namespaces = 0. The sysctls that restrict
    /// *unprivileged* creation (Debian's kernel.unprivileged_userns_clone, Ubuntu's
    /// kernel.apparmor_restrict_unprivileged_userns) exempt a creator with CAP_SYS_ADMIN, which root has.
    /// </summary>
    public static IEnumerable<Problem> UserNamespaceProblems(Profile profile, Developer dev, string procRoot = "/proc")
    {
        string max = Path.Combine(procRoot, "sys/user/max_user_namespaces");
        string? value = null;
        try
        {
            value = File.ReadAllText(max).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        if (value is null)
        {
            yield return new("namespaces", $"\"user\" needs user namespaces, which this kernel does not offer ({max} is missing: it was built without CONFIG_USER_NS); remove \"user\" from namespaces", true);
        }
        else if (value == "0")
        {
            yield return new("namespaces", "\"user\" needs user namespaces, which this host disables (user.max_user_namespaces is 0): allow them with `sysctl -w user.max_user_namespaces=15000` (and a file in /etc/sysctl.d/ to keep it), or remove \"user\" from namespaces", true);
        }
        if (dev.IsRoot)
        {
            yield return new("namespaces", "\"user\" maps only the developer into the env, and the developer here is root (no SUDO_UID): run devshell with sudo from your own account, or remove \"user\" from namespaces", false);
        }
        if (profile.Security.Caps.Count > 0)
        {
            yield return new("security.caps", $"cannot be kept with a user namespace: it owns none of the env's other namespaces, so {string.Join(", ", profile.Security.Caps)} would grant nothing inside; remove the caps or remove \"user\" from namespaces", false);
        }
    }

    public static string Describe(Profile profile, IReadOnlyList<Problem> problems) =>
        string.Join(Environment.NewLine, problems.Select(p => p.Field.Length == 0
            ? $"profile \"{profile.Name}\": {p.Message}"
            : $"profile \"{profile.Name}\": {p.Field} {p.Message}"));
}
