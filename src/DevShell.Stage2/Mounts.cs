using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// Builds the env's filesystem view inside the new mount namespace (propagation is already private and /proc fresh:
/// the front's NamespaceSpawner or util-linux unshare made it private, Init or unshare mounted /proc). Order matters: sysfs, read-only root, then the profile's mounts in order,
/// masks last so nothing mounted later uncovers a masked path.
/// </summary>
internal static class Mounts
{
    /// <param name="spec">The launch spec.</param>
    /// <param name="beforePivot">Runs right before pivot_root (rootfs mode), while the host's root is still there.</param>
    public static void Build(LaunchSpec spec, Action? beforePivot = null)
    {
        string root = spec.RootMode == "rootfs" && spec.Rootfs is not null ? spec.Rootfs : "";
        if (root.Length > 0)
        {
            // A mount point of its own, so pivot_root can move it.
            Sys.Mount(root, root, null, K.MS_BIND | K.MS_REC, null, "rootfs", $"binding the rootfs {root}");
            Sys.Mount("proc", root + "/proc", "proc", K.MS_NOSUID | K.MS_NODEV | K.MS_NOEXEC, null, "rootfs", $"mounting /proc in {root}");
            Sys.Mount("/dev", root + "/dev", null, K.MS_BIND | K.MS_REC, null, "rootfs", $"binding /dev into {root}");
        }

        if (spec.FreshSysfs)
        {
            Sys.Mount("sysfs", root + "/sys", "sysfs", K.MS_NOSUID | K.MS_NODEV | K.MS_NOEXEC | K.MS_RDONLY, null, "sysfs", "mounting a fresh /sys");
        }

        if (spec.RootMode == "readonly")
        {
            Sys.SetReadOnly("/", readOnly: true, recursive: true, "readonly");
            // Device nodes and ptys stay usable.
            Sys.SetReadOnly("/dev", readOnly: false, recursive: true, "readonly");
        }

        // Pin every bind source before the first mount: a source under /tmp (or under any later target) would
        // otherwise be hidden by the mounts that come before it. /proc/self/fd/N binds the pinned object.
        var pinned = new List<int>();
        var ops = new List<MountOp>(spec.Mounts.Count);
        foreach (var m in spec.Mounts)
        {
            if (m.Kind == "bind" && m.Source is not null)
            {
                int fd = Sys.Open(m.Source, K.O_PATH | K.O_CLOEXEC, "mount");
                pinned.Add(fd);
                ops.Add(m with { Source = "/proc/self/fd/" + Sys.Invariant(fd) });
            }
            else
            {
                ops.Add(m);
            }
        }

        var masks = new List<MountOp>();
        foreach (var m in ops)
        {
            if (m.Kind == "mask")
            {
                masks.Add(m);
                continue;
            }
            Apply(m, root);
        }
        foreach (var m in masks) Mask(root + m.Target);
        foreach (var fd in pinned) Libc.close(fd);

        if (root.Length > 0)
        {
            beforePivot?.Invoke();
            PivotInto(root);
        }
    }

    private static void Apply(MountOp m, string root)
    {
        string target = root + m.Target;
        switch (m.Kind)
        {
            case "bind":
                Sys.Mount(m.Source, target, null, K.MS_BIND | K.MS_REC, null, "mount", $"binding onto {m.Target}");
                // A bind copies the flags of the mount it comes from: set read-only or read-write explicitly.
                Sys.SetReadOnly(target, m.ReadOnly, recursive: m.ReadOnly, "mount");
                break;
            case "tmpfs":
                Sys.Mount("tmpfs", target, "tmpfs", K.MS_NOSUID | K.MS_NODEV, m.Options ?? "mode=1777", "mount", $"mounting a tmpfs at {m.Target}");
                break;
            default:
                throw new StageException("mount", 22, $"unknown mount kind {m.Kind}");
        }
    }

    /// <summary>An empty read-only tmpfs over a directory, /dev/null over a file; a path that does not exist needs no mask.</summary>
    private static void Mask(string path)
    {
        if (Directory.Exists(path))
        {
            Sys.Mount("tmpfs", path, "tmpfs", K.MS_NOSUID | K.MS_NODEV | K.MS_NOEXEC | K.MS_RDONLY, "size=4k,mode=000", "mask", $"masking {path}");
        }
        else if (File.Exists(path))
        {
            Sys.Mount("/dev/null", path, null, K.MS_BIND, null, "mask", $"masking {path}");
            Sys.SetReadOnly(path, readOnly: true, recursive: false, "mask");
        }
    }

    private static unsafe void PivotInto(string root)
    {
        fixed (byte* r = Sys.Z(root))
        {
            Sys.Check(Libc.chdir(r), "rootfs", $"entering {root}");
        }
        fixed (byte* dot = Sys.Z("."))
        {
            if (Libc.syscall(Sys.NrPivotRoot, (long)dot, (long)dot, 0, 0, 0) < 0) Sys.Fail("rootfs", Libc.Errno, $"pivot_root into {root}");
            // The old root is now stacked under the new one at "."; detach it.
            Sys.Check(Libc.umount2(dot, K.MNT_DETACH), "rootfs", "detaching the host root");
        }
        fixed (byte* slash = Sys.Z("/"))
        {
            Sys.Check(Libc.chdir(slash), "rootfs", "entering /");
        }
    }
}
