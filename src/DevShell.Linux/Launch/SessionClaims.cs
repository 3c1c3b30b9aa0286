using System.Globalization;

namespace DevShell.Linux.Launch;

/// <summary>
/// The host-wide register of live sessions: one small file per session in the run dir, written before any kernel
/// object exists and removed after the last one is gone. Kernel objects (cgroups, veths, netns, nft chains) are
/// shared by every developer's database on the host, so gc asks this register — not only its own database —
/// whether a session is alive: a launcher or a PID 1 that is still running keeps everything of the session.
/// </summary>
public sealed class SessionClaims(string runDir)
{
    private string Dir => Path.Combine(runDir, "sessions");

    public string PathOf(string sessionId) => Path.Combine(Dir, sessionId + ".claim");

    public void Claim(string sessionId, int launcherPid, string owner)
    {
        Directory.CreateDirectory(Dir);
        Write(sessionId, $"launcher {launcherPid} {ProcessInfo.StartTicks(launcherPid)}\nowner {owner}\n");
    }

    public void SetInit(string sessionId, int initPid) => Append(sessionId, $"init {initPid} {ProcessInfo.StartTicks(initPid)}");

    /// <summary>The shell exited and other processes keep the env: its PID 1 alone keeps the session (see <see cref="IsOwnedAndLive"/>).</summary>
    public void MarkDetached(string sessionId) => Append(sessionId, "detached");

    public void Release(string sessionId) => File.Delete(PathOf(sessionId));

    /// <summary>
    /// How many sessions of the database <paramref name="owner"/> are live by their claims: the launcher still runs, or
    /// it detached and PID 1 still runs (exactly what gc's reaper keeps). A launch compares this with the number of
    /// active session records to skip reading them when nothing can need reconciling (see SessionReaper.Collect).
    /// </summary>
    public int CountOwnedAndLive(string owner) => List().Count(id => IsOwnedAndLive(id, owner));

    /// <summary>
    /// True when a claim of the database <paramref name="owner"/> is no longer live (its launcher died, or it detached
    /// and its PID 1 is gone): a session that gc's reaper would end. A launch that does not open the store asks this
    /// instead of comparing counts (see Engine.Launch).
    /// </summary>
    public bool AnyOwnedAndDead(string owner) => List().Any(id => Lines(id) is var lines && IsOwnedBy(lines, owner) && !IsLive(lines));

    private bool IsOwnedAndLive(string sessionId, string owner) => Lines(sessionId) is var lines && IsOwnedBy(lines, owner) && IsLive(lines);

    private static bool IsOwnedBy(string[] lines, string owner) => lines.Contains("owner " + owner, StringComparer.Ordinal);

    private static bool IsLive(string[] lines)
    {
        bool detached = lines.Contains("detached", StringComparer.Ordinal);
        foreach (var (role, pid, ticks) in Processes(lines))
        {
            if ((role == "launcher" || detached) && ProcessInfo.IsSameProcess(pid, ticks)) return true;
        }
        return false;
    }

    /// <summary>True when the session's launcher or its PID 1 is still the process that claimed it.</summary>
    public bool IsAlive(string sessionId) =>
        Processes(sessionId).Any(p => ProcessInfo.IsSameProcess(p.Pid, p.StartTicks));

    /// <summary>
    /// The session's PID 1 as its launcher claimed it once the env was ready, or null. The store records it too, but
    /// a command's session is recorded as running only after <see cref="Launcher.RunningRecordDelayMs"/>: until then
    /// this is where stop, attach and gc find it.
    /// </summary>
    public (int Pid, long? StartTicks)? Init(string sessionId) =>
        Processes(sessionId).Where(p => p.Role == "init").Select(p => ((int, long?)?)(p.Pid, p.StartTicks)).FirstOrDefault();

    private IEnumerable<(string Role, int Pid, long? StartTicks)> Processes(string sessionId) => Processes(Lines(sessionId));

    /// <summary>
    /// A claim's lines; none when it is gone or unreadable. Every launch reads every claim (SessionReaper's cheap
    /// pass), so through <see cref="SmallFile"/>: File.ReadAllLines made that ~0.1 ms a claim in a fresh process.
    /// </summary>
    private string[] Lines(string sessionId)
    {
        try
        {
            return SmallFile.TryReadText(PathOf(sessionId))?.Split('\n') ?? [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private void Append(string sessionId, string line) => Write(sessionId, string.Join('\n', Lines(sessionId).Where(l => l.Length > 0).Append(line)) + "\n");

    private static IEnumerable<(string Role, int Pid, long? StartTicks)> Processes(string[] lines)
    {
        foreach (var line in lines)
        {
            var f = line.Split(' ');
            if (f.Length < 3 || (f[0] != "launcher" && f[0] != "init")) continue;
            if (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            long? ticks = long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long t) ? t : null;
            yield return (f[0], pid, ticks);
        }
    }

    /// <summary>Session ids with a claim file.</summary>
    public IReadOnlyList<string> List() =>
        Directory.Exists(Dir) ? Directory.GetFiles(Dir, "*.claim").Select(f => Path.GetFileName(f).Split('.')[0]).ToList() : [];

    private void Write(string sessionId, string text)
    {
        string tmp = PathOf(sessionId) + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, PathOf(sessionId), overwrite: true);
    }
}
