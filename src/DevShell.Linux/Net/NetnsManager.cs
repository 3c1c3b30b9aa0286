using System.Diagnostics;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Net;

/// <summary>
/// Named, persistent network namespaces under <see cref="Directory"/> (default /run/devshell/netns), made without
/// spawning <c>ip netns</c>.
/// <para>
/// Design. A network namespace lives as long as something refers to it: a process, an open fd or a bind mount of
/// its nsfs file. To make one that outlives every process (so the launcher can wire its veth before the shell
/// starts, and gc can find it later):
/// <list type="number">
/// <item>create an empty file &lt;dir&gt;/&lt;name&gt; (O_EXCL: a name is used once);</item>
/// <item>on a dedicated thread (the net namespace is per thread; .NET is multithreaded and a pool thread must never
/// be left in a foreign namespace), unshare(CLONE_NEWNET) — only this thread moves — bring its loopback up over a
/// netlink socket opened there, and bind-mount /proc/thread-self/ns/net onto the file;</item>
/// <item>setns() the thread back to the namespace it came from and let it end.</item>
/// </list>
/// Like iproute2 (/run/netns), the directory is made a mount point with shared propagation (bind-mounted onto
/// itself if it is not one yet), so unmounts here propagate to peer mounts. Envs started later inherit copies of
/// the netns bind mounts in their own mount namespaces; Delete is umount2(MNT_DETACH) + unlink, and the unlink
/// detaches those copies too (Linux 3.18+ unmounts a deleted mount point in every namespace; checked here with
/// an env made by `unshare --mount --propagation=private`), so a deleted namespace is not kept alive by them.
/// </para>
/// </summary>
public sealed class NetnsManager
{
    /// <summary>Where DevShell keeps its namespaces in production.</summary>
    public const string DefaultDirectory = "/run/devshell/netns";

    internal const ulong MS_BIND = 4096, MS_REC = 16384, MS_SHARED = 1 << 20;
    internal const int MNT_DETACH = 2;
    private static readonly Lock SetupLock = new();
    private bool _directoryReady;

    public NetnsManager(string directory = DefaultDirectory)
    {
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The directory holding one bind-mounted nsfs file per namespace.</summary>
    public string Directory { get; }

    /// <summary>The file that names namespace <paramref name="name"/> (pass it to setns, nsenter --net=...).</summary>
    public string PathOf(string name)
    {
        CheckName(name);
        return Path.Combine(Directory, name);
    }

    /// <summary>
    /// Creates namespace <paramref name="name"/> with its loopback up and returns its path. Throws EEXIST if the
    /// name is taken. Nothing is left behind on failure.
    /// </summary>
    public string Create(string name)
    {
        string path = Create(name, out Netlink inside);
        inside.Dispose();
        return path;
    }

    /// <summary>
    /// Like <see cref="Create(string)"/>, and hands back the rtnetlink client the creating thread opened inside the
    /// new namespace (it stays bound to it), so the caller can configure it without entering it again (no second
    /// thread and setns). The caller disposes it.
    /// </summary>
    public string Create(string name, out Netlink inside) => Create(name, out inside, onThisThread: false);

    /// <summary>
    /// Like <see cref="Create(string, out Netlink)"/>, on the CALLING thread: it unshares the namespace itself and stays
    /// in it. For a dedicated thread that goes on to start processes in it (and then ends), which saves starting a
    /// thread for the namespace alone (~1 ms here: .NET's Thread.Start waits for the new thread to run).
    /// </summary>
    public string CreateOnThisThread(string name, out Netlink inside) => Create(name, out inside, onThisThread: true);

    private string Create(string name, out Netlink inside, bool onThisThread)
    {
        string path = PathOf(name);
        string what = $"creating network namespace {name}";
        EnsureDirectory(what);
        try
        {
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new SyscallException("open", Errno.EEXIST, $"{what}: {path} already exists");
        }

        try
        {
            if (onThisThread)
            {
                int e = Sys.TryUnshare(LibC.CLONE_NEWNET);
                if (e != 0) throw new SyscallException("unshare", e, $"{what}: unshare(CLONE_NEWNET)");
                inside = UpAndBind(path, what);
            }
            else
            {
                inside = NetnsThread.RunInNew(() => UpAndBind(path, what), what);
            }
        }
        catch
        {
            _ = Sys.TryUmount2(path, MNT_DETACH);
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>On a thread in the new namespace: loopback up, and the namespace bind-mounted onto its file.</summary>
    private static Netlink UpAndBind(string path, string what)
    {
        var netlink = Netlink.Open();
        try
        {
            netlink.SetUp("lo");
            int e = Sys.TryMount("/proc/thread-self/ns/net", path, "none", MS_BIND);
            return e == 0 ? netlink : throw new SyscallException("mount", e, $"{what}: bind-mounting it onto {path}");
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Deletes namespace <paramref name="name"/>: unmounts (lazily) and removes the file. The kernel frees the
    /// namespace when its last user (a process still inside, an open fd) goes. False if it did not exist.
    /// </summary>
    public bool Delete(string name)
    {
        string path = PathOf(name);
        int e = Sys.TryUmount2(path, MNT_DETACH);
        if (e != 0 && e != Errno.EINVAL && e != Errno.ENOENT)
        {
            throw new SyscallException("umount2", e, $"deleting network namespace {name}: unmounting {path}");
        }

        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>True if <paramref name="name"/> exists (its file is present).</summary>
    public bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>Names of the namespaces in <see cref="Directory"/> (for gc), sorted.</summary>
    public IReadOnlyList<string> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var names = System.IO.Directory.EnumerateFiles(Directory).Select(Path.GetFileName).OfType<string>().ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Undoes the mount point that <see cref="Create"/> made of <see cref="Directory"/> and removes the directory,
    /// if no namespace is left in it. For tests and <c>devshell gc</c>. Returns whether it was released.
    /// </summary>
    public bool ReleaseDirectory()
    {
        if (List().Count > 0)
        {
            return false;
        }

        lock (SetupLock)
        {
            _ = Sys.TryUmount2(Directory, MNT_DETACH);

            _directoryReady = false;
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory);
            }
        }

        return true;
    }

    /// <summary>Measures create + delete of one namespace (for `devshell doctor` and the benchmark notes).</summary>
    public (TimeSpan Create, TimeSpan Delete) Measure(string name)
    {
        var sw = Stopwatch.StartNew();
        Create(name);
        TimeSpan create = sw.Elapsed;
        sw.Restart();
        Delete(name);
        return (create, sw.Elapsed);
    }

    private void EnsureDirectory(string what)
    {
        lock (SetupLock)
        {
            if (_directoryReady)
            {
                return;
            }

            System.IO.Directory.CreateDirectory(Directory);

            // As iproute2 does for /run/netns: make the directory a shared mount point; if it is not a mount point
            // yet (EINVAL), bind it onto itself first.
            bool madeMountPoint = false;
            while (true)
            {
                int e = Sys.TryMount("none", Directory, null, MS_SHARED | MS_REC);
                if (e == 0)
                {
                    break;
                }

                if (e != Errno.EINVAL || madeMountPoint)
                {
                    throw new SyscallException("mount", e, $"{what}: making {Directory} a shared mount point");
                }

                e = Sys.TryMount(Directory, Directory, "none", MS_BIND | MS_REC);
                if (e != 0)
                {
                    throw new SyscallException("mount", e, $"{what}: bind-mounting {Directory} onto itself");
                }

                madeMountPoint = true;
            }

            _directoryReady = true;
        }
    }

    private static void CheckName(string name)
    {
        if (name.Length is 0 or > 64 || name is "." or ".."
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"\"{name}\" is not a valid network namespace name (1..64 of a-z, A-Z, 0-9, '-', '_', '.')",
                nameof(name));
        }
    }
}
