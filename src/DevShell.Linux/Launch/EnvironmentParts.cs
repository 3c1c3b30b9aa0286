using DevShell.Core.Profiles;
using DevShell.Linux.Identity;

namespace DevShell.Linux.Launch;

/// <summary>The env being built: what the parts read, and what they record for stage two and the session.</summary>
public sealed class EnvContext(string sessionId, Profile profile, Developer developer)
{
    public string SessionId { get; } = sessionId;
    public Profile Profile { get; } = profile;
    public Developer Developer { get; } = developer;

    public List<string> CgroupDirs { get; } = [];
    public Dictionary<string, string> CgroupPaths { get; } = [];
    public string? NetnsPath { get; set; }
    public string? HostsFile { get; set; }
    public string? ResolvConf { get; set; }
    public string? PrivateHome { get; set; }
    public string? Ip { get; set; }
    public string? Veth { get; set; }
    public Action<string>? Phase { get; set; }

    public PreparedResources Resources => new()
    {
        CgroupDirs = CgroupDirs,
        NetnsPath = NetnsPath,
        HostsFile = HostsFile,
        ResolvConf = ResolvConf,
        PrivateHome = PrivateHome,
    };
}

/// <summary>
/// One kind of kernel object an env owns (cgroup, network, ...). Each part is the single owner of its objects:
/// it creates them in <see cref="Prepare"/> and removes them in <see cref="Teardown"/>. Objects are named after the
/// session id, so teardown works from the id alone — after a normal exit, after a failed launch, or from
/// <c>devshell gc</c> after the launcher was killed at any moment.
/// </summary>
public interface IEnvironmentPart
{
    string Name { get; }

    /// <summary>
    /// Runs right after the session's claim, on the launch's thread, before stage two is spawned and before the launch's
    /// store unit: names what stage two needs to know of the part at its spawn (the netns path), and may start kernel
    /// work that needs nothing from the store (itself, or in <see cref="OnSpawnThread"/>), so that it runs while the
    /// unit does. <see cref="Prepare"/> finishes it, and <see cref="Teardown"/> waits for it before it removes what it made.
    /// </summary>
    void Begin(EnvContext env)
    {
    }

    /// <summary>
    /// Runs on the dedicated thread that spawns stage two, right before it creates the env's other namespaces and the
    /// spawn, and after <see cref="Begin"/>: the place to make what stage two joins by path (a namespace file), since a
    /// mount made after the spawn would not be in stage two's copy of the mount table. A part may leave this thread in a
    /// namespace it unshares (stage two is then born in it; the thread ends after the spawn). A failure is kept for
    /// <see cref="Prepare"/> to report.
    /// </summary>
    void OnSpawnThread(EnvContext env)
    {
    }

    /// <summary>
    /// Store-only work that must precede this part's objects (the IP lease): runs in the launch's store unit before the
    /// spawn, right after the session's Starting record and before any part's <see cref="Prepare"/>. No kernel objects
    /// here. The session's end (its Ended record, or gc) releases what it reserved.
    /// </summary>
    void Reserve(EnvContext env)
    {
    }

    /// <summary>Creates this part's objects. On failure it must leave nothing behind of its own.</summary>
    void Prepare(EnvContext env);

    /// <summary>Removes everything this part may have created for the session; idempotent; true when nothing is left.</summary>
    bool Teardown(string sessionId);

    /// <summary>
    /// <see cref="Teardown"/> at the normal end of an env, by its launcher, once PID 1 is reaped: what the kernel then
    /// removes by itself, as a consequence of what this removes, need not be waited for (a veth goes with its network
    /// namespace). gc, stop and failed launches use <see cref="Teardown"/>, which waits.
    /// </summary>
    bool TeardownEnded(string sessionId) => Teardown(sessionId);

    /// <summary>Session ids this part finds kernel objects for (for gc).</summary>
    IEnumerable<string> FindSessions();
}
