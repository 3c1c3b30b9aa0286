using Xunit.Abstractions;

namespace DevShell.Tui.Tests.Support;

/// <summary>
/// Preconditions of the end-to-end tests. When something is missing, a test returns early after printing why —
/// unless CI=true, where a missing precondition is a failure (CI must run everything).
/// <code>if (!Requires.Command("tmux", output)) return;</code>
/// </summary>
public static class Requires
{
    /// <summary>True when the environment variable CI is "true" (any case).</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The test runs as root (effective uid 0).</summary>
    public static bool Root(ITestOutputHelper? output = null) => Feature(EffectiveUid() == 0, "it needs root", output);

    /// <summary>An executable is on PATH.</summary>
    public static bool Command(string name, ITestOutputHelper? output = null, string? install = null) =>
        Feature(FindOnPath(name) is not null, $"'{name}' is not on PATH{(install is null ? "" : $" (install: {install})")}", output);

    /// <summary>If <paramref name="available"/> is false: fail under CI=true, else print "SKIPPED: reason" and return false.</summary>
    public static bool Feature(bool available, string reason, ITestOutputHelper? output = null)
    {
        if (available)
        {
            return true;
        }

        if (IsCi)
        {
            throw new InvalidOperationException($"CI=true and the test cannot run: {reason}");
        }

        var message = $"SKIPPED: {reason}";
        output?.WriteLine(message);
        Console.Error.WriteLine(message);
        return false;
    }

    /// <summary>Full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static uint EffectiveUid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var parts = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 2 && uint.TryParse(parts[2], out var euid) ? euid : uint.MaxValue;
            }
        }

        return uint.MaxValue;
    }
}
