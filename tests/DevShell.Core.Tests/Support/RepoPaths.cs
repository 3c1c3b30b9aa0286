namespace DevShell.Core.Tests.Support;

/// <summary>Locates the repository (the directory holding DevShell.sln) from the test binaries.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Profiles => Path.Combine(Root, "profiles");

    public static string Corpus => Path.Combine(Root, "tests", "corpus");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DevShell.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DevShell.sln not found above {AppContext.BaseDirectory}");
    }
}
