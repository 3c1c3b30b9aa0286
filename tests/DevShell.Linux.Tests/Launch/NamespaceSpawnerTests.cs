using DevShell.Core.Profiles;
using DevShell.Linux.Launch;
using DevShell.Linux.Tests.Support;
using Tmds.Linux;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// Stage two started by the front itself in new namespaces (no util-linux unshare in between): which flags a profile
/// gets, and that a thread of this multithreaded .NET process can do it without changing the process's namespaces.
/// </summary>
public sealed class NamespaceSpawnerTests(ITestOutputHelper output)
{
    private static Profile With(params string[] namespaces) => new()
    {
        Name = "p",
        Shell = "/bin/sh",
        Namespaces = [.. namespaces],
        Network = new NetworkSpec { Mode = "none" },
    };

    [Fact]
    public void A_profile_gets_mount_and_pid_always_and_uts_ipc_net_as_it_asks()
    {
        Assert.Equal(LibC.CLONE_NEWNS | LibC.CLONE_NEWPID | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC | LibC.CLONE_NEWNET,
            LaunchPlanner.NamespaceFlags(With("uts", "ipc", "mount", "pid", "net"), joinsPreparedNetns: false));
        Assert.Equal(LibC.CLONE_NEWNS | LibC.CLONE_NEWPID | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC,
            LaunchPlanner.NamespaceFlags(With("uts", "ipc", "mount", "pid", "net"), joinsPreparedNetns: true));
        Assert.Equal(LibC.CLONE_NEWNS | LibC.CLONE_NEWPID, LaunchPlanner.NamespaceFlags(With("mount", "pid"), joinsPreparedNetns: false));
    }

    [Fact]
    public void The_child_is_pid_1_of_new_namespaces_with_a_private_mount_tree_and_this_process_keeps_its_own()
    {
        if (!Requires.Root(output)) return;
        string before = NamespacesOf("self");
        string dir = Directory.CreateTempSubdirectory("dsnsspawn-").FullName;
        try
        {
            string report = Path.Combine(dir, "report");
            // The child mounts its own /proc (as stage two does) to see its PID namespace, then reports.
            string script = "mount -t proc proc /proc && echo pid=$$ && hostname inside-ns && hostname"
                + " && ps -e -o pid= | wc -l && grep -E ' / / ' /proc/self/mountinfo"
                + " && echo $(readlink /proc/self/ns/mnt /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/net)";
            int flags = LibC.CLONE_NEWNS | LibC.CLONE_NEWPID | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC | LibC.CLONE_NEWNET;
            using var outFile = File.Create(report);
            int fd = (int)outFile.SafeFileHandle.DangerousGetHandle();
            int pid = NamespaceSpawner.Spawn(flags, "/bin/sh", ["/bin/sh", "-c", script], ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                [(0, 0), (1, fd), (2, fd)], newProcessGroup: true);
            int code = Spawner.Wait(pid);
            outFile.Close();
            string text = File.ReadAllText(report);
            output.WriteLine(text);

            Assert.Equal(0, code);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("pid=1", lines[0]);
            Assert.Equal("inside-ns", lines[1]);
            Assert.Equal("3", lines[2].Trim()); // sh, ps and wc: nothing of the host
            Assert.DoesNotContain("shared:", lines[3], StringComparison.Ordinal); // "/" is private in the child
            // Every namespace asked for is new in the child; this process (all its threads) kept its own.
            var childNamespaces = lines[4].Split(' ');
            Assert.Equal(4, childNamespaces.Length);
            foreach (var (mine, child) in before.Split(' ').Zip(childNamespaces))
            {
                Assert.NotEqual(mine, child);
            }
            Assert.Equal(before, NamespacesOf("self"));
            Assert.NotEqual("inside-ns", Environment.MachineName);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>mnt, uts, ipc and net namespace ids of a process (as readlink prints them).</summary>
    private static string NamespacesOf(string pid) =>
        string.Join(' ', new[] { "mnt", "uts", "ipc", "net" }.Select(ns => new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget));
}
