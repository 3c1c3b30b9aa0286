using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>`devshell shell` on a real terminal (tmux): job control, resize, exit code, terminal restored exactly.</summary>
[Collection("env")]
public sealed class InteractiveShellTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Shell_has_job_control_gets_resizes_and_restores_the_terminal()
    {
        if (!Requires.Root(output) || !Requires.Command("tmux", output, "apt-get install tmux")) return;
        var add = _cli.RunWith("""{ "name": "term", "shell": "/bin/sh", "network": { "mode": "none" } }""", TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.Equal(0, add.Code);
        string env = $"DEVSHELL_DB={_cli.DbPath} DEVSHELL_STAGE2={Artifacts.Stage2} DEVSHELL_RUN_DIR={_cli.Dir}/run DEVSHELL_CGROUP_PARENT={_cli.CgroupParent}";
        string before = Path.Combine(_cli.Dir, "stty-before"), after = Path.Combine(_cli.Dir, "stty-after");
        using var tmux = new Tmux($"sh -c 'stty -g > {before}; {env} {Artifacts.Cli} shell term; echo EXITED=$?; stty -g > {after}; sleep 60'");
        tmux.WaitFor("#");
        tmux.Type("hostname; tty");
        tmux.WaitFor("/dev/pts/");
        Assert.Contains("term", tmux.Capture(), StringComparison.Ordinal);

        tmux.Type("sleep 100");
        Thread.Sleep(300);
        tmux.Send("C-c");
        tmux.Type("echo after-ctrl-c=$?");
        tmux.WaitFor("after-ctrl-c=130");

        tmux.Type("sleep 50");
        Thread.Sleep(300);
        tmux.Send("C-z");
        tmux.WaitFor("Stopped");
        tmux.Type("jobs; kill -KILL %1; wait");

        tmux.Resize(90, 25);
        Thread.Sleep(200);
        tmux.Type("stty size");
        tmux.WaitFor("25 90");

        tmux.Type("exit 5");
        tmux.WaitFor("EXITED=5");
        tmux.WaitFor(_ => File.Exists(after) && File.ReadAllText(after).Length > 0);
        Assert.Equal(File.ReadAllText(before), File.ReadAllText(after));
        Assert.Empty(_cli.LeftoverCgroups());
    }

    [Fact]
    public void A_background_process_keeps_the_env_alive_after_the_shell_exits()
    {
        if (!Requires.Root(output) || !Requires.Command("tmux", output, "apt-get install tmux")) return;
        var add = _cli.RunWith("""{ "name": "keep", "shell": "/bin/sh", "network": { "mode": "none" } }""", TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.Equal(0, add.Code);
        string env = $"DEVSHELL_DB={_cli.DbPath} DEVSHELL_STAGE2={Artifacts.Stage2} DEVSHELL_RUN_DIR={_cli.Dir}/run DEVSHELL_CGROUP_PARENT={_cli.CgroupParent}";
        using var tmux = new Tmux($"sh -c '{env} {Artifacts.Cli} shell keep; echo EXITED=$?; sleep 60'");
        tmux.WaitFor("#");
        tmux.Type("setsid sleep 300 < /dev/null > /dev/null 2>&1 &");
        tmux.Type("exit");
        var screen = tmux.WaitFor("EXITED=0");
        Assert.Contains("keeps running", screen, StringComparison.Ordinal);
        var ps = _cli.Run("ps");
        output.WriteLine(ps.Out);
        Assert.Contains("keep", ps.Out, StringComparison.Ordinal);
        Assert.Contains("running", ps.Out, StringComparison.Ordinal);
        var stop = _cli.Run("stop", "--all");
        Assert.Equal(0, stop.Code);
        Assert.Empty(_cli.LeftoverCgroups());
    }
}
