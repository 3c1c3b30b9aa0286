using System.Text;

namespace DevShell.Core.Validation;

/// <summary>
/// Pure string rules for paths in profiles: absolute ("/x") or home-relative ("~", "~/x"), no ".." segments,
/// no NUL or control characters. No file system access: the engine must re-check after resolving symlinks.
/// </summary>
public static class HostPath
{
    /// <summary>PATH_MAX - 1.</summary>
    public const int MaxLength = 4095;

    /// <summary>True for "~" and "~/...".</summary>
    public static bool IsHomeRelative(string path) => path == "~" || path.StartsWith("~/", StringComparison.Ordinal);

    /// <summary>True if any '/'-separated segment is "..".</summary>
    public static bool HasDotDot(string path) => path.Split('/').Any(segment => segment == "..");

    /// <summary>Collapses "//" and "/./" and drops a trailing '/', keeping a leading "/" or "~".</summary>
    public static string Normalize(string path)
    {
        var rooted = path.StartsWith('/');
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".");
        var joined = string.Join('/', segments);
        return rooted ? "/" + joined : joined;
    }

    /// <summary>Replaces a leading "~" with <paramref name="home"/> and normalizes; null if the path is home-relative and home is unknown.</summary>
    public static string? Expand(string path, string? home)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!IsHomeRelative(path))
        {
            return Normalize(path);
        }

        return home is null ? null : Normalize(home + "/" + path[1..]);
    }

    /// <summary>True if <paramref name="path"/> equals <paramref name="directory"/> or lies under it (both normalized, absolute).</summary>
    public static bool IsUnder(string path, string directory) =>
        directory == "/" || path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);

    /// <summary>
    /// Checks the text rules shared by every path field. Returns null when fine, otherwise a message fragment.
    /// </summary>
    /// <param name="path">The path (not null).</param>
    /// <param name="allowHome">Whether "~" and "~/..." are accepted.</param>
    internal static string? Problem(string path, bool allowHome)
    {
        if (path.Length == 0)
        {
            return "is empty (give an absolute path" + (allowHome ? " or one starting with ~/)" : ")");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "contains a NUL character";
        }

        if (path.Any(Display.NeedsEscape))
        {
            return "contains control or invisible characters";
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxLength)
        {
            return $"is longer than {MaxLength} bytes";
        }

        if (!path.StartsWith('/') && !(allowHome && IsHomeRelative(path)))
        {
            return allowHome ? "is not an absolute path (start it with / or ~/)" : "is not an absolute path (start it with /)";
        }

        if (HasDotDot(path))
        {
            return "contains a \"..\" segment (write the path without ..)";
        }

        return null;
    }
}
