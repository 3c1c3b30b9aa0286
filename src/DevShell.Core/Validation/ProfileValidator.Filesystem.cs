using DevShell.Core.Profiles;
using DevShell.Core.Units;

namespace DevShell.Core.Validation;

public static partial class ProfileValidator
{
    /// <summary>Host paths that are never bind sources or mount targets (plus anything under /proc).</summary>
    public static IReadOnlyList<string> ProtectedPaths { get; } = ["/", "/proc", "/sys", "/dev"];

    private const string SecretsList = "/etc/shadow, /etc/gshadow, /etc/sudoers, /etc/sudoers.d, /etc/ssh, /root";

    private static void CheckFilesystem(Profile profile, ValidationContext context, Findings findings)
    {
        if (findings.Present("filesystem", profile.Filesystem, "an object such as {\"mode\": \"host\"}"))
        {
            var fs = profile.Filesystem;
            if (fs.Mode is not ("host" or "readonly" or "rootfs"))
            {
                findings.Add("filesystem.mode", fs.Mode, "is not a filesystem mode (use host, readonly or rootfs)");
            }

            if (fs.Mode == "rootfs" && string.IsNullOrEmpty(fs.Rootfs))
            {
                findings.Add("filesystem.rootfs", null, "is required when filesystem.mode is rootfs (give the directory holding the root filesystem)");
            }
            else if (fs.Rootfs is not null && fs.Mode != "rootfs")
            {
                findings.Add("filesystem.rootfs", fs.Rootfs, "is only used with filesystem.mode rootfs (set mode to rootfs, or remove rootfs)");
            }
            else if (fs.Rootfs is not null)
            {
                if (HostPath.Problem(fs.Rootfs, allowHome: false) is { } problem)
                {
                    findings.Add("filesystem.rootfs", fs.Rootfs, problem);
                }
                else if (HostPath.Normalize(fs.Rootfs) == "/")
                {
                    findings.Add("filesystem.rootfs", fs.Rootfs, "cannot be the host root (use a directory holding a root filesystem, or mode host)");
                }
            }

            if (fs.Home is not ("host" or "private"))
            {
                findings.Add("filesystem.home", fs.Home, "is not a home mode (use host or private)");
            }
        }

        CheckMounts(profile.Mounts, context, findings);
        CheckMasks(profile.Masks, context, findings);
    }

    private static void CheckMounts(List<MountSpec>? mounts, ValidationContext context, Findings findings)
    {
        if (!findings.Present("mounts", mounts, "[] for no mounts") || !findings.CountAtMost("mounts", mounts!.Count, 64, "entries"))
        {
            return;
        }

        var targets = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var field = $"mounts[{i}]";
            var mount = mounts[i];
            if (mount is null)
            {
                findings.Add(field, null, "is null (use an object such as {\"type\": \"tmpfs\", \"target\": \"/tmp\"})");
                continue;
            }

            var isBind = mount.Type == "bind";
            if (mount.Type is not ("bind" or "tmpfs"))
            {
                findings.Add(field + ".type", mount.Type, "is not a mount type (use bind or tmpfs)");
            }

            if (isBind)
            {
                CheckBindSource(field + ".source", mount.Source, context, findings);
                if (mount.Size is not null)
                {
                    findings.Add(field + ".size", mount.Size, "is only used by tmpfs mounts (remove it for a bind mount)");
                }
            }
            else
            {
                if (mount.Source is not null && mount.Type == "tmpfs")
                {
                    findings.Add(field + ".source", mount.Source, "is only used by bind mounts (remove it for tmpfs)");
                }

                if (mount.Size is not null)
                {
                    if (!Size.TryParse(mount.Size, out var bytes, out var problem))
                    {
                        findings.Add(field + ".size", mount.Size, problem);
                    }
                    else if (bytes == 0)
                    {
                        findings.Add(field + ".size", mount.Size, "is zero (remove size for the kernel default, or use e.g. 64M)");
                    }
                }
            }

            var target = CheckTarget(field + ".target", mount.Target, findings);
            if (target is not null)
            {
                if (targets.TryGetValue(target, out var first))
                {
                    findings.Add(field + ".target", mount.Target, $"is already the target of mounts[{first}] (each path can be mounted once)");
                }
                else
                {
                    targets[target] = i;
                }
            }
        }
    }

    private static void CheckBindSource(string field, string? source, ValidationContext context, Findings findings)
    {
        if (string.IsNullOrEmpty(source))
        {
            findings.Add(field, null, "is required for a bind mount (give a host path, e.g. ~/src)");
            return;
        }

        if (HostPath.Problem(source, allowHome: true) is { } problem)
        {
            findings.Add(field, source, problem);
            return;
        }

        var expanded = HostPath.Expand(source, context.HomeDirectory);
        if (expanded is not null && IsProtected(expanded))
        {
            findings.Add(field, source, "cannot be bound (binding /, /proc, /sys, /dev or anything under /proc would expose the host)");
            return;
        }

        if (expanded is not null && context.DbPath is not null && IsDatabasePath(expanded, HostPath.Normalize(context.DbPath)))
        {
            findings.Add(field, source, "is DevShell's own database or its directory (binding it would let the env rewrite profiles; bind a different path)");
        }
    }

    /// <summary>The DB file, its companions (devshell-log.db, devshell.db.bak, ...) and its directory.</summary>
    private static bool IsDatabasePath(string path, string db)
    {
        var directory = Path.GetDirectoryName(db) ?? "/";
        var stem = Path.GetFileNameWithoutExtension(db);
        return path == db
            || path == directory
            || (Path.GetDirectoryName(path) == directory && Path.GetFileName(path).StartsWith(stem, StringComparison.Ordinal));
    }

    /// <summary>Checks a mount target; returns its normalized form for duplicate detection, or null when invalid.</summary>
    private static string? CheckTarget(string field, string? target, Findings findings)
    {
        if (string.IsNullOrEmpty(target))
        {
            findings.Add(field, null, "is required (give the path inside the env, e.g. /data)");
            return null;
        }

        if (HostPath.Problem(target, allowHome: true) is { } problem)
        {
            findings.Add(field, target, problem);
            return null;
        }

        var normalized = HostPath.Normalize(target);
        if (!HostPath.IsHomeRelative(normalized) && IsProtected(normalized))
        {
            findings.Add(field, target, "cannot be mounted over (/, /proc, /sys, /dev and anything under /proc are set up by DevShell)");
            return null;
        }

        return normalized;
    }

    private static bool IsProtected(string normalized) =>
        ProtectedPaths.Contains(normalized) || HostPath.IsUnder(normalized, "/proc");

    private static void CheckMasks(List<string>? masks, ValidationContext context, Findings findings)
    {
        if (!findings.Present("masks", masks, "[] for no masks") || !findings.CountAtMost("masks", masks!.Count, 64, "entries"))
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < masks.Count; i++)
        {
            var field = $"masks[{i}]";
            var mask = masks[i];
            if (mask is null)
            {
                findings.Add(field, null, "is null (give a path such as ~/.ssh)");
                continue;
            }

            if (HostPath.Problem(mask, allowHome: true) is { } problem)
            {
                findings.Add(field, mask, problem);
                continue;
            }

            var normalized = HostPath.Normalize(mask);
            if (normalized == "/")
            {
                findings.Add(field, mask, $"cannot be masked (mask paths under ~/ or one of {SecretsList})");
            }
            else if (normalized == "~" || (context.HomeDirectory is { } home && normalized == HostPath.Normalize(home)))
            {
                findings.Add(field, mask, "is the whole home directory (use filesystem.home private instead)");
            }
            else if (!IsMaskable(normalized, context))
            {
                findings.Add(field, mask, $"is outside the home directory (mask paths under ~/ or one of {SecretsList})");
            }
            else
            {
                Distinct(field, normalized, seen, findings);
            }
        }
    }

    private static bool IsMaskable(string normalized, ValidationContext context) =>
        HostPath.IsHomeRelative(normalized)
        || (context.HomeDirectory is { } home && HostPath.IsUnder(normalized, HostPath.Normalize(home)))
        || SystemSecrets.Any(secret => HostPath.IsUnder(normalized, secret));
}
