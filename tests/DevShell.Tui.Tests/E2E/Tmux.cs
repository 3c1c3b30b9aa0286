using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DevShell.Tui.Tests.E2E;

/// <summary>
/// A program running in a detached tmux session on a private tmux server (its own socket, no user config), so a
/// test can type keys and read the screen like a user. The wrapper script records whether the terminal settings
/// were the same before and after the program (TTY-RESTORED) and its exit code (TUI-EXITED n). Every tmux call has
/// a timeout; dispose kills the server by its socket name.
/// </summary>
internal sealed partial class Tmux : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly string _socket = "devshell-tui-test-" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _dir;

    private Tmux(string dir)
    {
        _dir = dir;
    }

    /// <summary>The default deadline of <see cref="WaitFor"/>.</summary>
    public static TimeSpan DefaultWait { get; } = TimeSpan.FromSeconds(15);

    /// <summary>The last screen read, for failure messages.</summary>
    public string LastScreen { get; private set; } = "";

    /// <summary>Starts <paramref name="argv"/> in a <paramref name="width"/>×<paramref name="height"/> terminal with extra environment.</summary>
    public static Tmux Start(IReadOnlyList<string> argv, int width, int height, IReadOnlyDictionary<string, string>? env = null, string? workdir = null)
    {
        var dir = Directory.CreateTempSubdirectory("devshell-tui-tmux-").FullName;
        var tmux = new Tmux(dir);
        var script = new StringBuilder("#!/bin/sh\n");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            script.Append("export ").Append(key).Append('=').Append(Quote(value)).Append('\n');
        }

        if (workdir is not null)
        {
            script.Append("cd ").Append(Quote(workdir)).Append('\n');
        }

        script.Append("before=$(stty -g)\n")
            .Append(string.Join(' ', argv.Select(Quote))).Append('\n')
            .Append("code=$?\n")
            .Append("after=$(stty -g)\n")
            .Append("[ \"$before\" = \"$after\" ] && echo TTY-RESTORED\n")
            .Append("echo \"TUI-EXITED $code\"\n")
            .Append("exec sleep 600\n");
        var path = Path.Combine(dir, "run.sh");
        File.WriteAllText(path, script.ToString());
        tmux.Run("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), "sh " + path,
            ";", "set-option", "-g", "status", "off", ";", "resize-window", "-t", "t", "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return tmux;
    }

    /// <summary>Sends tmux key names, e.g. "Enter", "Down", "C-a", "q".</summary>
    public void Keys(params string[] keys) => Run(["send-keys", "-t", "t", .. keys]);

    /// <summary>Types <paramref name="text"/> literally.</summary>
    public void Type(string text) => Run("send-keys", "-t", "t", "-l", text);

    /// <summary>Empties the focused text field (End, then Backspace until empty).</summary>
    public void ClearField(int maxLength = 60) => Keys(["End", .. Enumerable.Repeat("BSpace", maxLength)]);

    /// <summary>Resizes the terminal.</summary>
    public void Resize(int width, int height) =>
        Run("resize-window", "-t", "t", "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The pane's size as tmux sees it, "80x24".</summary>
    public string PaneSize() => Run("display-message", "-p", "-t", "t", "#{pane_width}x#{pane_height}").Trim();

    /// <summary>The screen as text (no escape sequences).</summary>
    public string Screen() => LastScreen = Run("capture-pane", "-p", "-t", "t");

    /// <summary>The screen with its SGR escape sequences (colours and styles).</summary>
    public string ScreenWithEscapes() => Run("capture-pane", "-e", "-p", "-t", "t");

    /// <summary>Polls the screen every 100 ms until <paramref name="done"/> holds; fails with the last screen after the deadline.</summary>
    public string WaitFor(Func<string, bool> done, string what, TimeSpan? deadline = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var limit = deadline ?? DefaultWait;
        while (true)
        {
            var screen = Screen();
            if (done(screen))
            {
                return screen;
            }

            if (stopwatch.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}; the screen was:\n{screen}");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Waits until the screen contains <paramref name="text"/>.</summary>
    public string WaitForText(string text, TimeSpan? deadline = null) =>
        WaitFor(s => s.Contains(text, StringComparison.Ordinal), $"\"{text}\"", deadline);

    /// <summary>Asserts that <paramref name="screen"/> shows <paramref name="text"/>; the failure message shows the whole screen.</summary>
    public static void AssertShows(string screen, string text) =>
        Assert.True(screen.Contains(text, StringComparison.Ordinal), $"expected \"{text}\" on the screen:\n{screen}");

    /// <summary>Asserts that <paramref name="screen"/> does not show <paramref name="text"/>.</summary>
    public static void AssertDoesNotShow(string screen, string text) =>
        Assert.False(screen.Contains(text, StringComparison.Ordinal), $"did not expect \"{text}\" on the screen:\n{screen}");

    /// <summary>Waits until the screen contains every one of <paramref name="texts"/> at the same time.</summary>
    public string WaitForAll(params string[] texts) =>
        WaitFor(s => texts.All(t => s.Contains(t, StringComparison.Ordinal)), string.Join(" and ", texts.Select(t => $"\"{t}\"")));

    /// <summary>The line of the screen containing <paramref name="text"/>, or null.</summary>
    public static string? LineWith(string screen, string text) =>
        screen.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>SGR sequences that set a colour (30-37, 38;…, 40-47, 48;…, 90-97, 100-107).</summary>
    public static IReadOnlyList<string> ColourSequences(string screenWithEscapes) =>
        SgrPattern().Matches(screenWithEscapes).Select(m => m.Value)
            .Where(sgr => sgr[2..^1].Split(';').Any(p => int.TryParse(p, out var n) && n is (>= 30 and <= 38) or (>= 40 and <= 48) or (>= 90 and <= 97) or (>= 100 and <= 107)))
            .ToList();

    public void Dispose()
    {
        try
        {
            Run("kill-server");
        }
        catch (Exception)
        {
            // The server may be gone already.
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Run(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start tmux");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CallTimeout))
        {
            process.Kill();
            throw new TimeoutException($"tmux {string.Join(' ', args)} did not finish in {CallTimeout.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout.Result;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex SgrPattern();
}
