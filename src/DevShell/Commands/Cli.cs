using System.CommandLine;

namespace DevShell.Commands;

/// <summary>The command tree. Each verb's action is a small method on a *Commands class; errors map to exit codes in <see cref="Guard"/>.</summary>
public static class Cli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("DevShell: isolated per-service shells (namespaces, cgroups, bridged network). Run with no arguments for the TUI.");
        root.Subcommands.Add(ProfileCommands.Build());
        foreach (var c in EnvCommands.Build()) root.Subcommands.Add(c);
        foreach (var c in MonitorCommands.Build()) root.Subcommands.Add(c);
        foreach (var c in AdminCommands.Build()) root.Subcommands.Add(c);
        return root;
    }

    /// <summary>Runs an action and turns every expected failure into a clear message and a documented exit code.</summary>
    public static int Guard(Func<int> action) => ErrorReporting.Run(action, Console.Error);

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table" };
}
