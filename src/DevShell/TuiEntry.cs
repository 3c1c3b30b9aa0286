using DevShell.Commands;
using DevShell.Tui;

namespace DevShell;

/// <summary>Bare `devshell`: the TUI when there is a terminal, help otherwise.</summary>
internal static class TuiEntry
{
    public static int Start()
    {
        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            return Cli.Build().Parse(["--help"]).Invoke();
        }
        return Cli.Guard(() =>
        {
            using var engine = new Engine();
            engine.Reconcile();
            using var backend = new TuiBackend(engine);
            return TuiApp.Run(backend);
        });
    }
}
