using System.Diagnostics;
using System.Text.Json;
using DevShell.Linux.Tests.Support;

namespace DevShell.Linux.Tests.Proof;

/// <summary>
/// A <see cref="CliRunner"/> (own database, run dir, cgroup parent, bridge and nft table) plus what the chaos and
/// concurrency proofs need: a private copy of stage two (so any process still running it is this test's leak),
/// per-call environment variables, and a count of every kind of object a session can leave behind.
/// </summary>
public sealed class ProofEnv : IDisposable
{
    public ProofEnv()
    {
        Stage2Copy = Path.Combine(Cli.Dir, "devshell-stage2");
        Cli.Env["DEVSHELL_STAGE2"] = Stage2Copy;
    }

    public CliRunner Cli { get; } = new();

    /// <summary>Stage two, copied on the first launch (so a test that returns early needs no build).</summary>
    public string Stage2Copy { get; }

    private readonly Lock _copy = new();

    private void EnsureStage2()
    {
        lock (_copy)
        {
            if (File.Exists(Stage2Copy)) return;
            File.Copy(Artifacts.Stage2, Stage2Copy + ".tmp", overwrite: true);
            File.SetUnixFileMode(Stage2Copy + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Move(Stage2Copy + ".tmp", Stage2Copy);
        }
    }

    public string RunDir => Path.Combine(Cli.Dir, "run");

    public string SessionsDir => Path.Combine(RunDir, "sessions");

    /// <summary>Starts devshell with extra environment variables (CliRunner's Env is shared by every call).</summary>
    public Process Start(string[] args, IReadOnlyDictionary<string, string>? env = null, bool redirectStdin = false)
    {
        EnsureStage2();
        var psi = new ProcessStartInfo(Artifacts.Cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEVSHELL_DB"] = Cli.DbPath;
        psi.Environment["DEVSHELL_RUN_DIR"] = RunDir;
        psi.Environment["DEVSHELL_CGROUP_PARENT"] = Cli.CgroupParent;
        psi.Environment["DEVSHELL_BRIDGE"] = Cli.Bridge;
        psi.Environment["DEVSHELL_NFT_TABLE"] = Cli.NftTable;
        psi.Environment["DEVSHELL_STAGE2"] = Stage2Copy;
        psi.Environment.Remove("DEVSHELL_TRACE");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>Runs devshell to its end (killed after <paramref name="timeout"/>).</summary>
    public CliRunner.Result Run(TimeSpan timeout, IReadOnlyDictionary<string, string>? env, string? stdin, params string[] args)
    {
        using var p = Start(args, env, stdin is not null);
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"devshell {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return new CliRunner.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public CliRunner.Result Run(params string[] args) => Run(TimeSpan.FromSeconds(60), null, null, args);

    public bool AnyClaim() => Directory.Exists(SessionsDir) && Directory.EnumerateFiles(SessionsDir, "*.claim").Any();

    /// <summary>A claim that records a PID 1: the env is running.</summary>
    public bool AnyRunning()
    {
        if (!Directory.Exists(SessionsDir)) return false;
        foreach (var f in Directory.EnumerateFiles(SessionsDir, "*.claim"))
        {
            try
            {
                if (File.ReadLines(f).Any(l => l.StartsWith("init ", StringComparison.Ordinal))) return true;
            }
            catch (IOException)
            {
            }
        }
        return false;
    }

    /// <summary>Ids of every session this database ever recorded (ps --all).</summary>
    public List<string> AllSessionIds()
    {
        var r = Run("ps", "--all", "--json");
        if (r.Code != 0) throw new InvalidOperationException("devshell ps --all --json failed: " + r);
        using var doc = JsonDocument.Parse(r.Out);
        return [.. doc.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    /// <summary>
    /// How many of each kind of session object are left: every count must be 0 once all envs are over and gc ran.
    /// "active_sessions" is -1 when the database cannot be read.
    /// </summary>
    public SortedDictionary<string, int> Leftovers(IEnumerable<string>? payloadArgv = null)
    {
        var ids = AllSessionIds();
        _ = Cli.VethsOnBridge(within: TimeSpan.FromSeconds(2)); // the kernel's deletion of ended envs' veths
        var left = new SortedDictionary<string, int>(StringComparer.Ordinal)
        {
            ["veths_of_sessions"] = ids.Count(id => Directory.Exists($"/sys/class/net/ds-{id}")),
            ["veths_on_bridge"] = Directory.Exists($"/sys/class/net/{Cli.Bridge}/brif")
                ? Directory.GetFileSystemEntries($"/sys/class/net/{Cli.Bridge}/brif").Count(e => Path.GetFileName(e).StartsWith("ds-", StringComparison.Ordinal))
                : 0,
            ["netns_files"] = Directory.Exists(Path.Combine(RunDir, "netns")) ? Directory.GetFileSystemEntries(Path.Combine(RunDir, "netns")).Length : 0,
            ["cgroups"] = Cli.LeftoverCgroups().Count,
            ["nft_env_objects"] = CountNftEnvObjects(),
            ["netns_mounts_under_run_dir"] = MountsUnderRunDir().Count(m => m.FsType == "nsfs"),
            ["processes"] = LeakedPids(payloadArgv).Count,
            ["spec_and_claim_files"] = Directory.Exists(SessionsDir)
                ? Directory.GetFiles(SessionsDir).Count(f => f.EndsWith(".spec", StringComparison.Ordinal) || f.EndsWith(".claim", StringComparison.Ordinal))
                : 0,
        };
        var ps = Run("ps", "--json");
        left["active_sessions"] = ps.Code != 0 ? -1 : JsonDocument.Parse(ps.Out).RootElement.GetArrayLength();
        return left;
    }

    public static string Describe(IDictionary<string, int> counts) => string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"));

    private int CountNftEnvObjects()
    {
        using var p = Process.Start(new ProcessStartInfo("nft", ["list", "table", "inet", Cli.NftTable])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string text = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit(10_000);
        return p.ExitCode != 0 ? 0 : text.Split('\n').Count(l => l.Contains("env-", StringComparison.Ordinal));
    }

    public List<(string MountPoint, string FsType)> MountsUnderRunDir()
    {
        var found = new List<(string, string)>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var f = line.Split(' ');
            int dash = Array.IndexOf(f, "-", 6);
            if (f.Length < 5 || dash < 0 || dash + 1 >= f.Length) continue;
            if (f[4] == RunDir || f[4].StartsWith(RunDir + "/", StringComparison.Ordinal)) found.Add((f[4], f[dash + 1]));
        }
        return found;
    }

    /// <summary>Processes running this test's stage-two copy, or a payload with exactly <paramref name="payloadArgv"/>.</summary>
    public List<int> LeakedPids(IEnumerable<string>? payloadArgv = null)
    {
        string? wanted = payloadArgv is null ? null : string.Join('\0', payloadArgv) + "\0";
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var exe = new FileInfo(Path.Combine(dir, "exe")).LinkTarget;
                if (exe == Stage2Copy || (wanted is not null && File.ReadAllText(Path.Combine(dir, "cmdline")) == wanted)) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }

    public void Dispose()
    {
        if (!File.Exists(Stage2Copy))
        {
            Cli.Dispose();
            return;
        }
        foreach (int pid in LeakedPids())
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
            }
        }
        Cli.Dispose();
    }
}
