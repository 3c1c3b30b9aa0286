using System.Globalization;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Identity;
using DevShell.Linux.Launch;
using DevShell.Linux.Launch.Parts;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// The short launch path keeps its guarantees: stage two changes identity with per-thread syscalls (every id field
/// and the group list still end up the developer's), and a launch returns only after its env's cgroup is gone and
/// util-linux unshare is reaped, although teardown now starts as soon as PID 1 has exited.
/// </summary>
[Collection("env")]
public sealed class LaunchPathTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();
    private TestUser? _user;

    public void Dispose()
    {
        _user?.Dispose();
        _env.Dispose();
    }

    [Fact]
    public void Every_uid_and_gid_field_and_the_groups_of_the_shell_are_the_developers()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output) || !Requires.Command("usermod", output)) return;
        _user = new TestUser();
        // A supplementary group besides the user's own: "users" (gid 100) exists on Debian.
        TestUser.Run("usermod", "--append", "--groups", "users", _user.Name);
        var dev = Developer.Resolve(_user.SudoEnv, 0, 0);
        Assert.Contains(100, dev.Groups);

        var (code, stdout, stderr, _) = _env.Run(EnvHarness.Profile(), "grep -E '^(Uid|Gid|Groups):' /proc/self/status", dev);

        Assert.True(code == 0, stderr);
        string u = _user.Uid.ToString(CultureInfo.InvariantCulture), g = _user.Gid.ToString(CultureInfo.InvariantCulture);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)], l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
        Assert.Equal($"{u}\t{u}\t{u}\t{u}", lines["Uid"]); // real, effective, saved, filesystem
        Assert.Equal($"{g}\t{g}\t{g}\t{g}", lines["Gid"]);
        var groups = lines["Groups"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(dev.Groups.Distinct().Order().ToList(), groups);
    }

    [Fact]
    public async Task A_run_returns_with_its_cgroup_removed_pid_1_gone_and_unshare_reaped()
    {
        if (!Requires.Root(output)) return;
        var journal = new InitRecordingJournal();
        var dir = Path.Combine(_env.Dir, "own");
        var cgroups = new CgroupPart(CgroupHost.Detect().CreateDriver());
        var launcher = new Launcher(LauncherPaths.Discover(Path.Combine(dir, "run")) with { Stage2 = Artifacts.Stage2 },
            [cgroups, new HomePart(Path.Combine(dir, "data"))], journal);
        using var devNull = new FileStream("/dev/null", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        int fd = (int)devNull.SafeFileHandle.DangerousGetHandle();
        var request = new LaunchRequest { Command = ["/bin/sh", "-c", "sleep 0.2; exit 7"], Stdio = (fd, fd, fd) };
        var dev = Developer.Resolve(new Dictionary<string, string?>(), 0, 0);

        for (int i = 0; i < 3; i++)
        {
            var outcome = await Task.Run(() => launcher.Launch(EnvHarness.Profile(), dev, request, new Dictionary<string, string?>()))
                .WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(7, outcome.ExitCode);
            Assert.Null(cgroups.Driver.Open(outcome.SessionId));
            Assert.False(File.Exists(launcher.Paths.SpecFile(outcome.SessionId)));
            int init = journal.InitPids[outcome.SessionId];
            // Gone entirely: a process that has exited but is not reaped still has its /proc entry (a zombie).
            Assert.False(Directory.Exists($"/proc/{init}"), $"PID 1 ({init}) is still there");
            // Tests run one at a time (AssemblyInfo), so any unshare child of this process would be this launch's.
            Assert.Empty(ChildrenOfThisProcess("unshare"));
        }
    }

    /// <summary>Children of this test process with the given command name, zombies included.</summary>
    private static List<int> ChildrenOfThisProcess(string comm)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (stat[(open + 1)..close] == comm && int.Parse(fields[1], CultureInfo.InvariantCulture) == Environment.ProcessId) found.Add(pid);
            }
            catch (IOException)
            {
                // It exited while we looked.
            }
        }
        return found;
    }

    /// <summary>Records each session's PID 1.</summary>
    private sealed class InitRecordingJournal : ISessionJournal
    {
        public Dictionary<string, int> InitPids { get; } = [];

        public void Starting(EnvContext env, LaunchRequest request, int launcherPid)
        {
        }

        public void Running(EnvContext env, int initPid)
        {
            lock (InitPids) InitPids[env.SessionId] = initPid;
        }

        public void Ended(string sessionId, string state, int? exitCode, string? message)
        {
        }

        public void Detached(string sessionId)
        {
        }

        public void Record(string sessionId, string profile, string kind, string message, long? value = null, long? limit = null)
        {
        }
    }
}
