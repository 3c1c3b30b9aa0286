using DevShell.Commands;

namespace DevShell;

internal static class Program
{
    /// <summary>Started first thing in Main: DEVSHELL_TRACE separates runtime start-up from DevShell's own work.</summary>
    public static readonly System.Diagnostics.Stopwatch SinceMain = System.Diagnostics.Stopwatch.StartNew();

    private static int Main(string[] args)
    {
        SinceMain.Restart();
        if (args.Length == 0) return TuiEntry.Start();
        var parse = Cli.Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad flags are bad input: exit 2 with System.CommandLine's own messages, like any other input error.
            foreach (var error in parse.Errors) Console.Error.WriteLine($"devshell: {error.Message}");
            Console.Error.WriteLine("devshell: see `devshell --help`");
            return ExitCodes.BadInput;
        }
        return parse.Invoke();
    }
}
