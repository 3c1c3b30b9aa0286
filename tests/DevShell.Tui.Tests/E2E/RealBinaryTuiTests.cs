using System.Diagnostics;
using DevShell.Tui.Tests.Support;
using Xunit.Abstractions;

namespace DevShell.Tui.Tests.E2E;

/// <summary>
/// The published `devshell` (DEVSHELL_BIN, set by scripts/test.sh) started with no arguments, which runs the TUI on
/// the real backend, driven in tmux. Each test uses a fresh database (DEVSHELL_DB in a temp dir) so the presets are
/// seeded fresh, and stops whatever it started. Needs root and a devshell binary; without them it prints why and
/// returns (under CI=true it fails).
/// </summary>
[Collection("tmux")]
public sealed class RealBinaryTuiTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("devshell-tui-real-").FullName;

    private static string? Binary => Environment.GetEnvironmentVariable("DEVSHELL_BIN");

    private string Db => Path.Combine(_dir, "devshell.db");

    private bool Ready() =>
        Requires.Feature(Binary is { } bin && File.Exists(bin), "DEVSHELL_BIN does not name the published devshell (scripts/test.sh publishes it and sets it)", output)
        && Requires.Root(output)
        && Requires.Command("tmux", output, "apt-get install -y tmux");

    private Tmux StartTui(int width = 120, int height = 40)
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
            ["TERM"] = "xterm-256color",
            ["DEVSHELL_DB"] = Db,
        };
        if (Environment.GetEnvironmentVariable("DEVSHELL_STAGE2") is { Length: > 0 } stage2)
        {
            env["DEVSHELL_STAGE2"] = stage2;
        }

        return Tmux.Start([Binary!], width, height, env, _dir);
    }

    /// <summary>Filters to <paramref name="profile"/>, opens its shell with Enter and waits for the TUI to give up the screen.</summary>
    private static void OpenShell(Tmux tmux, string profile)
    {
        tmux.WaitFor(s => s.Contains(profile, StringComparison.Ordinal) && s.Contains("q  Quit", StringComparison.Ordinal), "the presets listed", Wait);
        tmux.Keys("/");
        tmux.Type(profile);
        tmux.WaitForText("Details: " + profile);
        tmux.Keys("Enter");
        tmux.Keys("Enter");
        tmux.WaitFor(s => !s.Contains("q  Quit", StringComparison.Ordinal), "the TUI to hand the terminal to the shell", Wait);
        Thread.Sleep(500); // let the shell print its prompt before typing
    }

    [Fact]
    public void Enter_on_a_profile_opens_its_shell_with_the_profile_hostname_and_the_tui_returns_without_the_env()
    {
        if (!Ready())
        {
            return;
        }

        using var tmux = StartTui();
        OpenShell(tmux, "orders-api");
        tmux.Type("echo HN=$(hostname)");
        tmux.Keys("Enter");
        tmux.WaitForText("HN=orders-api", Wait);
        tmux.Type("exit");
        tmux.Keys("Enter");

        var screen = tmux.WaitFor(
            s => s.Contains("shell in orders-api exited with 0", StringComparison.Ordinal) && s.Contains("Running (none)", StringComparison.Ordinal),
            "the TUI back with the env gone from the running table",
            Wait);
        Tmux.AssertShows(screen, "Profiles (1/");
        tmux.WaitFor(s => s.Contains("START", StringComparison.Ordinal) && s.Contains("EXIT", StringComparison.Ordinal), "the env's lifecycle events", Wait);

        tmux.Keys("q");
        tmux.WaitForText("TUI-EXITED 0");
        Tmux.AssertShows(tmux.Screen(), "TTY-RESTORED");
    }

    [Fact]
    public void Allocating_past_the_memory_limit_shows_a_violation_in_the_events_pane()
    {
        if (!Ready() || !Requires.Feature(File.Exists("/usr/bin/python3"), "/usr/bin/python3 is missing (apt-get install -y python3)", output))
        {
            return;
        }

        using var tmux = StartTui();
        OpenShell(tmux, "untrusted"); // memory 256M, swap 0
        tmux.Type("/usr/bin/python3 -c \"b=bytearray(300*1024*1024)\"; echo rc=$?");
        tmux.Keys("Enter");
        tmux.WaitFor(s => s.Contains("rc=137", StringComparison.Ordinal) || s.Contains("rc=1", StringComparison.Ordinal), "python3 to be killed or fail", Wait);
        tmux.Type("exit");
        tmux.Keys("Enter");

        var screen = tmux.WaitFor(
            s => s.Contains("Running (none)", StringComparison.Ordinal) && (s.Contains("⚠ OOM", StringComparison.Ordinal) || s.Contains("⚠ MEM MAX", StringComparison.Ordinal)),
            "an OOM or memory-limit violation in the events pane",
            Wait);
        Tmux.AssertShows(screen, "untrusted");
        tmux.Keys("q");
        tmux.WaitForText("TUI-EXITED 0");
    }

    public void Dispose()
    {
        // Whatever a failed test left running: stop it and reconcile, by this test's own database.
        if (Binary is { } bin && File.Exists(bin) && File.Exists(Db))
        {
            RunQuietly(bin, "stop", "--all");
            RunQuietly(bin, "gc");
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void RunQuietly(string bin, params string[] args)
    {
        var start = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DEVSHELL_DB"] = Db;
        try
        {
            using var process = Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e)
        {
            output.WriteLine($"cleanup `devshell {string.Join(' ', args)}` failed: {e.Message}");
        }
    }
}
