using DevShell.Commands;
using DevShell.Linux.Interop;

namespace DevShell;

internal static class Program
{
    /// <summary>Started first thing in Main: DEVSHELL_TRACE separates runtime start-up from DevShell's own work.</summary>
    public static readonly System.Diagnostics.Stopwatch SinceMain = System.Diagnostics.Stopwatch.StartNew();

    private static int Main(string[] args)
    {
        SinceMain.Restart();
        if (args.Length == 0) return StartTui();
        EarlyLaunch.Begin(args);
        try
        {
            var parse = (Cli.NeedsFullTree(args) ? Cli.Build() : Cli.BuildLean()).Parse(args);
            if (parse.Errors.Count > 0)
            {
                // Bad flags are bad input: exit 2 with System.CommandLine's own messages, like any other input error.
                foreach (var error in parse.Errors) Console.Error.WriteLine($"devshell: {error.Message}");
                Console.Error.WriteLine("devshell: see `devshell --help`");
                return ExitCodes.BadInput;
            }
            return parse.Invoke();
        }
        finally
        {
            EarlyLaunch.End();
        }
    }

    /// <summary>
    /// Bare `devshell`: on a terminal, becomes `devshell-tui` (installed next to this binary, or $DEVSHELL_TUI) by
    /// execve, so the TUI keeps this process's pid, terminal and environment; without a terminal, prints the help.
    /// </summary>
    private static int StartTui()
    {
        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            return Cli.Build().Parse(["--help"]).Invoke();
        }
        string tui = Environment.GetEnvironmentVariable("DEVSHELL_TUI") is { Length: > 0 } t ? t
            : Path.Combine(AppContext.BaseDirectory, "devshell-tui");
        if (!File.Exists(tui))
        {
            Console.Error.WriteLine($"devshell: the TUI is not installed: {tui} is missing (reinstall with ./install.sh; the commands work without it, see `devshell --help`)");
            return ExitCodes.HostUnsupported;
        }
        return Cli.Guard(() =>
        {
            Host.Exec(tui, ["devshell-tui"]);
            return ExitCodes.Error; // not reached: Exec returns only by throwing
        });
    }
}
