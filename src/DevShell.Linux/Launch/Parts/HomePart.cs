using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch.Parts;

/// <summary>
/// A persistent per-profile home (filesystem.home = private) under DevShell's data dir, owned by the developer, so
/// one service's credentials and caches never meet another's. It outlives sessions by design: teardown keeps it.
/// </summary>
public sealed class HomePart(string dataDir) : IEnvironmentPart
{
    public string Name => "home";

    public string HomeOf(string profile) => Path.Combine(dataDir, "homes", profile);

    public void Prepare(EnvContext env)
    {
        if (env.Profile.Filesystem.Home != "private") return;
        string dir = HomeOf(env.Profile.Name);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Host.Chown(dir, env.Developer.Uid, env.Developer.Gid);
        }
        env.PrivateHome = dir;
    }

    public bool Teardown(string sessionId) => true;

    public IEnumerable<string> FindSessions() => [];
}
