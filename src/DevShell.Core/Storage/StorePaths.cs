using System.Collections;
using System.Globalization;

namespace DevShell.Core.Storage;

/// <summary>
/// Resolves the database location: $DEVSHELL_DB, else $XDG_DATA_HOME/devshell/devshell.db, else
/// ~/.local/share/devshell/devshell.db. Under sudo (running as root with SUDO_USER set to another user) "~" is the
/// SUDO_USER's home from the passwd file, XDG_DATA_HOME counts only if it lies inside that home, and the owner ids come
/// from SUDO_UID/SUDO_GID (or the passwd entry). Pure code: the passwd path is a parameter so tests use fixtures.
/// </summary>
public static class StorePaths
{
    /// <summary>File name of the database.</summary>
    public const string DbFileName = "devshell.db";

    /// <summary>Resolves the full location.</summary>
    /// <param name="environment">Environment variables (see <see cref="CurrentEnvironment"/>).</param>
    /// <param name="runningAsRoot">Whether the effective uid is 0 (the caller knows; Core makes no syscalls).</param>
    /// <param name="passwdPath">The passwd database to read under sudo.</param>
    /// <exception cref="StoreException">No home directory can be determined.</exception>
    public static StoreLocation Resolve(IReadOnlyDictionary<string, string> environment, bool runningAsRoot, string passwdPath = "/etc/passwd")
    {
        ArgumentNullException.ThrowIfNull(environment);
        var sudoUser = runningAsRoot ? Get(environment, "SUDO_USER") : null;
        string home;
        int? uid = null, gid = null;
        if (sudoUser is not null && sudoUser != "root")
        {
            var entry = PasswdEntry.Find(passwdPath, sudoUser)
                ?? throw new StoreException($"SUDO_USER \"{sudoUser}\" is not in {passwdPath}; set DEVSHELL_DB to choose the database");
            home = entry.Home;
            uid = ParseId(Get(environment, "SUDO_UID")) ?? entry.Uid;
            gid = ParseId(Get(environment, "SUDO_GID")) ?? entry.Gid;
        }
        else
        {
            home = Get(environment, "HOME") is { } h && Path.IsPathRooted(h)
                ? h
                : throw new StoreException("HOME is not set to an absolute path; set HOME, or set DEVSHELL_DB to choose the database");
        }

        home = Path.TrimEndingDirectorySeparator(home);
        if (Get(environment, "DEVSHELL_DB") is { } explicitDb)
        {
            var db = Path.GetFullPath(explicitDb);
            return new StoreLocation(db, Path.GetDirectoryName(db)!, home, uid, gid);
        }

        var xdg = Get(environment, "XDG_DATA_HOME");
        var xdgUsable = xdg is not null && Path.IsPathRooted(xdg)
            && (uid is null || Path.GetFullPath(xdg).StartsWith(home + "/", StringComparison.Ordinal));
        var dataHome = xdgUsable ? Path.GetFullPath(xdg!) : Path.Combine(home, ".local", "share");
        var dataDirectory = Path.Combine(dataHome, "devshell");
        return new StoreLocation(Path.Combine(dataDirectory, DbFileName), dataDirectory, home, uid, gid);
    }

    /// <summary>Just the database path; see <see cref="Resolve"/>.</summary>
    public static string ResolveDbPath(IReadOnlyDictionary<string, string> environment, bool runningAsRoot, string passwdPath = "/etc/passwd") =>
        Resolve(environment, runningAsRoot, passwdPath).DbPath;

    /// <summary>A snapshot of this process's environment variables.</summary>
    public static IReadOnlyDictionary<string, string> CurrentEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return result;
    }

    private static string? Get(IReadOnlyDictionary<string, string> environment, string key) =>
        environment.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static int? ParseId(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private sealed record PasswdEntry(string Name, int Uid, int Gid, string Home)
    {
        public static PasswdEntry? Find(string passwdPath, string user)
        {
            if (!File.Exists(passwdPath))
            {
                return null;
            }

            foreach (var line in File.ReadLines(passwdPath))
            {
                // name:password:uid:gid:gecos:home:shell
                var fields = line.Split(':');
                if (fields.Length >= 7 && fields[0] == user
                    && ParseId(fields[2]) is { } uid && ParseId(fields[3]) is { } gid && Path.IsPathRooted(fields[5]))
                {
                    return new PasswdEntry(fields[0], uid, gid, fields[5]);
                }
            }

            return null;
        }
    }
}
