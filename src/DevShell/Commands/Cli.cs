using System.CommandLine;

namespace DevShell.Commands;

/// <summary>The command tree. Each verb's action is a small method on a *Commands class; errors map to exit codes in <see cref="Guard"/>.</summary>
public static class Cli
{
    private const string Description = "DevShell: isolated per-service shells (namespaces, cgroups, bridged network). Run with no arguments for the TUI.";

    /// <summary>The whole tree: with --help, --version and the directives of a root command.</summary>
    public static RootCommand Build() => AddCommands(new RootCommand(Description));

    /// <summary>
    /// The same commands under a plain root, without --help, --version and directives: their descriptions are looked up
    /// in System.CommandLine's resources, and that lookup cost a fresh process ~2.5 ms (ResourceManager start-up in
    /// NativeAOT), a tenth of a quick `devshell run`. Used when <see cref="NeedsFullTree"/> says no argument asks for them.
    /// </summary>
    public static Command BuildLean() => AddCommands(new Command("devshell", Description));

    /// <summary>True when an argument may be help, version or a directive (anywhere: a command after -- may hold one too).</summary>
    public static bool NeedsFullTree(IEnumerable<string> args) =>
        args.Any(a => a is "-h" or "--help" or "-?" or "/h" or "/?" or "--version" || a.StartsWith('['));

    private static T AddCommands<T>(T root) where T : Command
    {
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
