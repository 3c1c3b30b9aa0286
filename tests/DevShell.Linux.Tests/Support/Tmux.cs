using System.Diagnostics;

namespace DevShell.Linux.Tests.Support;

/// <summary>A detached tmux session driven like a user: send-keys to type, capture-pane to read the screen.</summary>
public sealed class Tmux : IDisposable
{
    public Tmux(string command, int width = 100, int height = 30)
    {
        Name = "dstest-" + Guid.NewGuid().ToString("N")[..8];
        Run("new-session", "-d", "-s", Name, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), command);
    }

    public string Name { get; }

    public void Send(params string[] keys) => Run(["send-keys", "-t", Name, .. keys]);

    public void Type(string line) => Send(line, "Enter");

    public string Capture() => Run("capture-pane", "-p", "-J", "-t", Name);

    public void Resize(int width, int height) => Run("resize-window", "-t", Name, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Polls the screen until <paramref name="predicate"/> holds or the deadline passes; returns the last screen.</summary>
    public string WaitFor(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        string screen = "";
        while (DateTime.UtcNow < deadline)
        {
            screen = Capture();
            if (predicate(screen)) return screen;
            Thread.Sleep(100);
        }
        throw new TimeoutException("the screen never showed what was expected; last screen:\n" + screen);
    }

    public string WaitFor(string text, TimeSpan? timeout = null) => WaitFor(s => s.Contains(text, StringComparison.Ordinal), timeout);

    public void Dispose()
    {
        try
        {
            Run("kill-session", "-t", Name);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit(10_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {err}");
        return output;
    }
}
