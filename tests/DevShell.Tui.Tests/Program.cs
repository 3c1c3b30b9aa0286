using DevShell.Tui;
using DevShell.Tui.Tests.Fakes;

namespace DevShell.Tui.Tests;

/// <summary>
/// `dotnet DevShell.Tui.Tests.dll demo` runs the real TUI on <see cref="FakeBackend"/>: presets as profiles,
/// shells that are plain bash processes, and (with DEVSHELL_FAKE_ENVS=N) N simulated envs with moving usage and a
/// violation now and then. The fake-backend tmux tests drive it; it is also handy to look at the views.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "demo")
        {
            return TuiApp.Run(FakeBackend.FromEnvironment());
        }

        Console.Error.WriteLine("usage: DevShell.Tui.Tests demo   (run the TUI on the fake backend; tests run with dotnet test)");
        return 2;
    }
}
