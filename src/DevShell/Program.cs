using DevShell.Commands;

namespace DevShell;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0) return TuiEntry.Start();
        var root = Cli.Build();
        return root.Parse(args).Invoke();
    }
}
