namespace DevShell.Linux.Tests.Support;

/// <summary>Locates the built binaries the integration tests run: scripts/test.sh publishes them to artifacts/bin.</summary>
public static class Artifacts
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DevShell.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (DevShell.sln) above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The NativeAOT second stage: $DEVSHELL_STAGE2 or artifacts/bin/devshell-stage2.</summary>
    public static string Stage2 => Find("DEVSHELL_STAGE2", "devshell-stage2");

    /// <summary>The devshell CLI: $DEVSHELL_BIN or artifacts/bin/devshell.</summary>
    public static string Cli => Find("DEVSHELL_BIN", "devshell");

    private static string Find(string variable, string name)
    {
        string path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v ? v : Path.Combine(RepoRoot, "artifacts", "bin", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{name} is not built at {path}: run scripts/test.sh (it publishes it), or set {variable}");
        }
        return path;
    }
}
