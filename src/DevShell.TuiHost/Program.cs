using DevShell.Commands;
using DevShell.Tui;

namespace DevShell;

/// <summary>`devshell-tui`: the TUI. Bare `devshell` execs it when stdin and stdout are a terminal.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            Console.Error.WriteLine("devshell-tui takes no arguments: run `devshell` for the TUI, `devshell --help` for the commands");
            return ExitCodes.BadInput;
        }
        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            Console.Error.WriteLine("devshell-tui needs a terminal on stdin and stdout; in scripts use the commands (`devshell --help`)");
            return ExitCodes.BadInput;
        }
        return ErrorReporting.Run(() =>
        {
            using var engine = new Engine();
            engine.Reconcile();
            using var backend = new TuiBackend(engine);
            return TuiApp.Run(backend);
        }, Console.Error);
    }
}
