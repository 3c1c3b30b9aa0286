using System.Globalization;

namespace DevShell.Linux.Identity;

/// <summary>
/// Who the shell runs as: the developer who invoked DevShell. Under sudo that is SUDO_UID/SUDO_GID/SUDO_USER with
/// their supplementary groups; otherwise the process's own user. Reads /etc/passwd and /etc/group under a root
/// path so tests can use fixture files.
/// </summary>
public sealed record Developer(int Uid, int Gid, string Name, string Home, string Shell, IReadOnlyList<int> Groups)
{
    public bool IsRoot => Uid == 0;

    /// <summary>Resolves the developer from the environment (SUDO_*) and the account files.</summary>
    public static Developer Resolve(IReadOnlyDictionary<string, string?> env, int processUid, int processGid, string etcRoot = "/etc")
    {
        int uid = processUid, gid = processGid;
        string? name = null;
        if (processUid == 0 && TryInt(env, "SUDO_UID", out int sudoUid))
        {
            uid = sudoUid;
            gid = TryInt(env, "SUDO_GID", out int g) ? g : sudoUid;
            name = env.TryGetValue("SUDO_USER", out var u) && !string.IsNullOrEmpty(u) ? u : null;
        }

        var account = FindAccount(Path.Combine(etcRoot, "passwd"), name, uid);
        name ??= account?.Name ?? uid.ToString(CultureInfo.InvariantCulture);
        string home = account?.Home ?? (uid == 0 ? "/root" : "/");
        if (uid == processUid && env.TryGetValue("HOME", out var envHome) && !string.IsNullOrEmpty(envHome) && processUid != 0)
        {
            home = envHome;
        }
        string shell = account?.Shell ?? "/bin/sh";
        var groups = GroupsOf(Path.Combine(etcRoot, "group"), name, gid);
        return new Developer(uid, gid, name, home, shell, groups);
    }

    private static bool TryInt(IReadOnlyDictionary<string, string?> env, string key, out int value)
    {
        value = 0;
        return env.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 0;
    }

    private sealed record Account(string Name, int Uid, string Home, string Shell);

    private static Account? FindAccount(string passwd, string? name, int uid)
    {
        if (!File.Exists(passwd)) return null;
        Account? byUid = null;
        foreach (var line in File.ReadLines(passwd))
        {
            var f = line.Split(':');
            if (f.Length < 7 || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int u)) continue;
            var acct = new Account(f[0], u, f[5], f[6]);
            if (name is not null && f[0] == name && u == uid) return acct;
            if (u == uid) byUid ??= acct;
        }
        return byUid;
    }

    private static List<int> GroupsOf(string groupFile, string name, int primary)
    {
        var groups = new List<int> { primary };
        if (!File.Exists(groupFile)) return groups;
        foreach (var line in File.ReadLines(groupFile))
        {
            var f = line.Split(':');
            if (f.Length < 4 || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int g)) continue;
            if (g == primary) continue;
            foreach (var member in f[3].Split(','))
            {
                if (member == name)
                {
                    groups.Add(g);
                    break;
                }
            }
        }
        return groups;
    }

    /// <summary>Expands a leading ~ or ~/ to this developer's home.</summary>
    public string Expand(string path) =>
        path == "~" ? Home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Home, path[2..]) : path;
}
