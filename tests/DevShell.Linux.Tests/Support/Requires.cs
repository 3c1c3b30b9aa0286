using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Support;

/// <summary>
/// Preconditions of integration tests. When a feature is missing, a test returns early after saying why — unless
/// CI=true, where a missing feature is a failure (like bubblewrap's BWRAP_MUST_WORK): CI must run everything.
/// <code>
/// if (!Requires.Root(output)) return;
/// </code>
/// </summary>
public static class Requires
{
    /// <summary>True when the environment variable CI is "true" (any case).</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The test runs as root (euid 0).</summary>
    public static bool Root(ITestOutputHelper? output = null) =>
        Feature(Environment.UserName == "root" || GetEuid() == 0, "it needs root", output);

    /// <summary>An executable is on PATH (e.g. "nft", "gcc", "python3").</summary>
    public static bool Command(string name, ITestOutputHelper? output = null, string? install = null) =>
        Feature(
            FindOnPath(name) is not null,
            $"'{name}' is not on PATH{(install is null ? "" : $" (install: {install})")}",
            output);

    /// <summary>
    /// The common gate: if <paramref name="available"/> is false, fail under CI=true, else print
    /// "SKIPPED: &lt;reason&gt;" and return false so the test can return early.
    /// </summary>
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

        string message = $"SKIPPED: {reason}";
        output?.WriteLine(message);
        Console.Error.WriteLine(message);
        return false;
    }

    /// <summary>Full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (string dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static uint GetEuid()
    {
        // /proc/self/status "Uid: real effective saved fs"
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] parts = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 2 && uint.TryParse(parts[2], out uint euid) ? euid : uint.MaxValue;
            }
        }

        return uint.MaxValue;
    }
}
