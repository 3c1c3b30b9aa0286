using System.Diagnostics;

namespace DevShell.Linux.Tests.Support;

/// <summary>Runs the real devshell binary (artifacts/bin/devshell) with its own temp database, as a user would.</summary>
public sealed class CliRunner : IDisposable
{
    public CliRunner()
    {
        Dir = Path.Combine("/var/tmp", "dscli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        DbPath = Path.Combine(Dir, "devshell.db");
    }

    public string Dir { get; }
    public string DbPath { get; }

    /// <summary>This runner's own cgroup parent, so its gc never touches another test's groups.</summary>
    public string CgroupParent { get; } = "devshell-test-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>This runner's own bridge and nft table (never the real devshell0 / inet devshell).</summary>
    public string Bridge { get; } = "dstb" + Guid.NewGuid().ToString("N")[..6];

    public string NftTable { get; } = "devshell_test_" + Guid.NewGuid().ToString("N")[..6];
    public Dictionary<string, string> Env { get; } = [];

    public sealed record Result(int Code, string Out, string Err)
    {
        public override string ToString() => $"exit {Code}\nstdout:\n{Out}\nstderr:\n{Err}";
    }

    public Result Run(params string[] args) => RunWith(null, TimeSpan.FromSeconds(60), args);

    public Result RunWith(string? stdin, TimeSpan timeout, params string[] args)
    {
        using var p = Start(args, stdin is not null);
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
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs devshell as <paramref name="user"/> (not root: setpriv drops to their uid, gid and groups).</summary>
    public Result RunAs(TestUser user, params string[] args)
    {
        using var p = Start(["--reuid", user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--regid", user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--init-groups", "--reset-env", "--",
            "env", "HOME=" + user.Home, $"DEVSHELL_DB={DbPath}", $"DEVSHELL_RUN_DIR={Path.Combine(Dir, "run")}",
            Artifacts.Cli, .. args], redirectStdin: false, program: "setpriv");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"devshell {string.Join(' ', args)} as {user.Name} did not finish in 60 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts devshell without waiting (for kill -9 tests).</summary>
    public Process Start(string[] args, bool redirectStdin = false, string? program = null)
    {
        var psi = new ProcessStartInfo(program ?? Artifacts.Cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEVSHELL_DB"] = DbPath;
        psi.Environment["DEVSHELL_STAGE2"] = Artifacts.Stage2;
        psi.Environment["DEVSHELL_RUN_DIR"] = Path.Combine(Dir, "run");
        psi.Environment["DEVSHELL_CGROUP_PARENT"] = CgroupParent;
        psi.Environment["DEVSHELL_BRIDGE"] = Bridge;
        psi.Environment["DEVSHELL_NFT_TABLE"] = NftTable;
        foreach (var (k, v) in Env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>
    /// The env veths (ds-*) on this runner's bridge, once none is left or <paramref name="within"/> has passed. An env's
    /// launcher exits without waiting for its veth: the kernel deletes it with the env's network namespace, a few ms
    /// later (see NetworkPart.TeardownEnded), so a check right after a launch waits for that.
    /// </summary>
    public List<string> VethsOnBridge(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            string brif = $"/sys/class/net/{Bridge}/brif";
            var left = Directory.Exists(brif)
                ? Directory.GetFileSystemEntries(brif).Select(Path.GetFileName).Where(n => n!.StartsWith("ds-", StringComparison.Ordinal)).Select(n => n!).ToList()
                : [];
            if (left.Count == 0 || DateTime.UtcNow >= deadline) return left;
            Thread.Sleep(5);
        }
    }

    /// <summary>
    /// Fallback when `net down` could not run or failed (a test that broke the store, say): this runner's bridge and
    /// nft table, by their unique names only.
    /// </summary>
    private void RemoveNetworkByName()
    {
        if (Directory.Exists($"/sys/class/net/{Bridge}")) Quiet("ip", "link", "del", Bridge);
        Quiet("nft", "delete", "table", "inet", NftTable);
    }

    private static void Quiet(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true });
            p?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private void RemoveCgroupParent()
    {
        var host = DevShell.Linux.Cgroups.CgroupHost.Detect();
        var roots = host.Version == DevShell.Linux.Cgroups.CgroupVersion.V2 ? [host.V2MountPoint!] : host.V1Mounts.Values.Distinct();
        foreach (var root in roots)
        {
            string dir = Path.Combine(root, CgroupParent);
            if (!Directory.Exists(dir)) continue;
            try
            {
                Directory.Delete(dir); // cgroup dirs are removed with rmdir, never recursively
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>cgroup directories this runner's parent still holds (a leak if a test ends with any).</summary>
    public List<string> LeftoverCgroups()
    {
        var host = DevShell.Linux.Cgroups.CgroupHost.Detect();
        var roots = host.Version == DevShell.Linux.Cgroups.CgroupVersion.V2 ? [host.V2MountPoint!] : host.V1Mounts.Values.Distinct();
        var left = new List<string>();
        foreach (var root in roots)
        {
            string dir = Path.Combine(root, CgroupParent);
            if (Directory.Exists(dir)) left.AddRange(Directory.GetDirectories(dir));
        }
        return left;
    }

    public void Dispose()
    {
        try
        {
            Run("stop", "--all");
            Run("gc");
            Run("net", "down", "--force");
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }
        RemoveCgroupParent();
        RemoveNetworkByName();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
