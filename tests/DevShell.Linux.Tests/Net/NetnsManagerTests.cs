using System.Diagnostics;
using DevShell.Linux.Interop;
using DevShell.Linux.Net;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

[Collection(NetworkTestGroup.Name)]
public sealed class NetnsManagerTests(ITestOutputHelper output) : IDisposable
{
    private readonly NetnsManager _manager = new(NetTestNames.NetnsDirectory());

    public void Dispose()
    {
        foreach (string name in _manager.List())
        {
            _manager.Delete(name);
        }

        _manager.ReleaseDirectory();
        string parent = Path.GetDirectoryName(_manager.Directory)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: false);
        }
    }

    [Fact]
    public void Created_namespace_is_a_distinct_netns_with_only_loopback_up()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string path = _manager.Create("ns1");

        Assert.Equal(Path.Combine(_manager.Directory, "ns1"), path);
        Assert.NotEqual(NsInode("/proc/self/ns/net"), NsInode(path));
        using var inside = Netlink.OpenInNetns(path);
        var links = inside.ListLinks();
        LinkInfo lo = Assert.Single(links);
        Assert.Equal("lo", lo.Name);
        Assert.True(lo.IsUp);
        Assert.Equal(["ns1"], _manager.List());
    }

    [Fact]
    public void Calling_thread_stays_in_the_host_namespace()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string before = NsInode("/proc/thread-self/ns/net");
        _manager.Create("ns2");
        Assert.Equal(before, NsInode("/proc/thread-self/ns/net"));
        Assert.Equal(before, NsInode("/proc/self/ns/net"));
    }

    [Fact]
    public void Delete_removes_the_file_and_a_second_delete_reports_false()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string path = _manager.Create("ns3");
        Assert.True(_manager.Delete("ns3"));
        Assert.False(File.Exists(path));
        Assert.False(_manager.Delete("ns3"));
        Assert.Empty(_manager.List());
    }

    [Fact]
    public void Creating_an_existing_name_fails_with_EEXIST_and_keeps_the_first()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        string path = _manager.Create("dup");
        string inode = NsInode(path);
        var e = Assert.Throws<SyscallException>(() => _manager.Create("dup"));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains("creating network namespace dup", e.Message, StringComparison.Ordinal);
        Assert.Equal(inode, NsInode(path));
    }

    [Fact]
    public void Delete_also_detaches_the_copy_a_later_private_mount_namespace_inherited()
    {
        if (!Requires.Root(output) || !Requires.Command("unshare", output, "apt-get install util-linux"))
        {
            return;
        }

        string path = _manager.Create("pinned");
        using var env = Process.Start(new ProcessStartInfo("unshare", ["--mount", "--propagation=private", "sleep", "30"]))!;
        try
        {
            string mountinfo = $"/proc/{env.Id}/mountinfo";
            string hostMountNs = new FileInfo("/proc/self/ns/mnt").LinkTarget!;
            Assert.True(
                SpinWait.SpinUntil(
                    () => File.ReadAllText($"/proc/{env.Id}/comm").Trim() == "sleep"
                        && new FileInfo($"/proc/{env.Id}/ns/mnt").LinkTarget != hostMountNs,
                    5000),
                "unshare never ran sleep in its own (private) mount namespace");
            Assert.Contains(path, File.ReadAllText(mountinfo), StringComparison.Ordinal);

            _manager.Delete("pinned");

            Assert.True(
                SpinWait.SpinUntil(() => !File.ReadAllText(mountinfo).Contains(path, StringComparison.Ordinal), 5000),
                "the env's copy of the netns mount survived the delete");
        }
        finally
        {
            env.Kill();
            env.WaitForExit(5000);
        }
    }

    [Fact]
    public void Bad_names_are_rejected_before_anything_is_created()
    {
        Assert.Throws<ArgumentException>(() => _manager.Create("../etc"));
        Assert.Throws<ArgumentException>(() => _manager.Create(""));
        Assert.Throws<ArgumentException>(() => _manager.Create("a b"));
    }

    [Fact]
    public void Create_and_delete_take_milliseconds()
    {
        if (!Requires.Root(output))
        {
            return;
        }

        _manager.Measure("warmup");
        var creates = new List<double>();
        var deletes = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var (create, delete) = _manager.Measure($"m{i}");
            creates.Add(create.TotalMilliseconds);
            deletes.Add(delete.TotalMilliseconds);
        }

        creates.Sort();
        deletes.Sort();
        output.WriteLine($"netns create: median {creates[10]:F2} ms, max {creates[^1]:F2} ms; " +
            $"delete: median {deletes[10]:F2} ms, max {deletes[^1]:F2} ms (n=20)");
        Assert.True(creates[10] < 200, $"netns create median {creates[10]} ms");
        Assert.Empty(_manager.List());
    }

    private static string NsInode(string path)
    {
        // stat -L prints the nsfs inode; a distinct namespace has a distinct inode.
        using var p = Process.Start(new ProcessStartInfo("stat", ["-L", "-c", "%i", path]) { RedirectStandardOutput = true })!;
        string text = p.StandardOutput.ReadToEnd().Trim();
        Assert.True(p.WaitForExit(10_000), "stat timed out");
        return text;
    }
}
