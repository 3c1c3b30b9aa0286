using System.Diagnostics;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>Fds the caller of devshell left open never reach the env (an open directory there would escape the mount namespace).</summary>
[Collection("env")]
public sealed class InheritedFdTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task A_command_in_an_env_sees_only_stdin_stdout_and_stderr_of_what_its_caller_had_open()
    {
        if (!Requires.Root(output)) return;
        var add = _cli.RunWith("""{ "name": "fds", "shell": "/bin/sh", "network": { "mode": "none" } }""", TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(add.Code == 0, add.ToString());

        // The caller holds the host's root directory on fd 7 and a file on fd 9 (not close-on-exec, as a shell leaves them).
        string inner = "ls /proc/$$/fd | sort -n | tr '\\n' ' '; if [ -e /proc/$$/fd/7 ]; then cat /proc/$$/fd/7/etc/hostname; fi";
        var psi = new ProcessStartInfo("sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec 7</ 9</etc/hostname; ls /proc/$$/fd | tr '\\n' ' '; echo; exec \"$0\" run fds -- sh -c \"$1\"");
        psi.ArgumentList.Add(Artifacts.Cli);
        psi.ArgumentList.Add(inner);
        psi.Environment["DEVSHELL_DB"] = _cli.DbPath;
        psi.Environment["DEVSHELL_STAGE2"] = Artifacts.Stage2;
        psi.Environment["DEVSHELL_RUN_DIR"] = Path.Combine(_cli.Dir, "run");
        psi.Environment["DEVSHELL_CGROUP_PARENT"] = _cli.CgroupParent;
        using var p = Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        string stderr = await stderrTask;
        output.WriteLine(stdout + stderr);
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stdout} {stderr}");

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The caller really had them open (the check below could not fail otherwise) ...
        Assert.Contains("7", lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("9", lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // ... and the command in the env has only 0, 1 and 2 (ls shows its own directory fd as well).
        var inside = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal([0, 1, 2], inside.Where(fd => fd <= 2));
        Assert.DoesNotContain(7, inside);
        Assert.DoesNotContain(9, inside);
        Assert.True(inside.Count <= 4, "unexpected fds in the env: " + lines[1]);
    }
}
