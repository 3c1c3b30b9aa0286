using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>
/// Bare `devshell`: on a terminal it becomes `devshell-tui` (a separate NativeAOT executable, so the CLI does not pay
/// Terminal.Gui's start-up) by execve; without one it prints the help. DEVSHELL_TUI names the TUI binary here, so the
/// tests can put a probe script in its place.
/// </summary>
public sealed class TuiHandoffTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Bare_devshell_without_a_terminal_prints_the_help_and_does_not_start_the_tui()
    {
        string marker = Path.Combine(_cli.Dir, "tui-started");
        _cli.Env["DEVSHELL_TUI"] = WriteProbe($"touch {marker}");
        var r = _cli.Run();
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains("Usage:", r.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "the TUI was started although stdout is not a terminal");
    }

    [Fact]
    public void Bare_devshell_on_a_terminal_becomes_the_tui_in_the_same_process()
    {
        if (!Requires.Command("tmux", output, "apt-get install tmux")) return;
        string report = Path.Combine(_cli.Dir, "tui-report"), pidFile = Path.Combine(_cli.Dir, "devshell-pid");
        // The shell writes its pid, then execs devshell (same pid); the probe in the TUI's place records its own pid
        // and argument count, then stays a while so the tmux session lives until the test has read the files.
        string probe = WriteProbe($"echo \"$$ $#\" > {report}.tmp && mv {report}.tmp {report}; sleep 30");
        using var tmux = new Tmux($"sh -c 'echo $$ > {pidFile}; DEVSHELL_TUI={probe} exec {Artifacts.Cli}'");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !File.Exists(report)) Thread.Sleep(50);
        Assert.True(File.Exists(report), "the TUI probe never ran; screen:\n" + tmux.Capture());
        Assert.Equal($"{File.ReadAllText(pidFile).Trim()} 0", File.ReadAllText(report).Trim());
    }

    [Fact]
    public void Bare_devshell_on_a_terminal_without_the_tui_says_what_is_missing()
    {
        if (!Requires.Command("tmux", output, "apt-get install tmux")) return;
        string missing = Path.Combine(_cli.Dir, "no-such-devshell-tui");
        using var tmux = new Tmux($"sh -c 'DEVSHELL_TUI={missing} {Artifacts.Cli}; echo EXITED=$?; sleep 30'", width: 200);
        var screen = tmux.WaitFor("EXITED=", TimeSpan.FromSeconds(20));
        Assert.Contains($"{missing} is missing", screen, StringComparison.Ordinal);
        Assert.Contains("EXITED=5", screen, StringComparison.Ordinal);
    }

    private string WriteProbe(string body)
    {
        string path = Path.Combine(_cli.Dir, "probe-tui.sh");
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
