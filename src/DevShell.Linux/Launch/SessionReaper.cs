using DevShell.Core.Events;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch;

/// <summary>What gc found and removed.</summary>
public sealed record GcReport(IReadOnlyList<string> EndedSessions, IReadOnlyList<string> RemovedObjects)
{
    public bool Nothing => EndedSessions.Count == 0 && RemovedObjects.Count == 0;
}

/// <summary>
/// Reconciles the store with the kernel: `devshell gc`, and a cheap pass at the start of every launch.
/// <list type="bullet">
/// <item>A session whose PID 1 is gone is over: its parts are torn down and it is marked exited.</item>
/// <item>A session whose launcher died (kill -9 at any phase) and that had not detached is orphaned: nobody will
/// read its exit, so its env is killed and torn down.</item>
/// <item>Any kernel object named after a session that is not active (a crash between "created" and "recorded")
/// is removed by the part that owns that kind of object.</item>
/// </list>
/// </summary>
public sealed class SessionReaper(DevShellStore store, Launcher launcher, IReadOnlyList<IEnvironmentPart> parts)
{
    /// <summary>Ended sessions kept for `devshell ps --all` and the events that point at them.</summary>
    public const int KeepEndedSessions = 500;

    /// <param name="scanObjects">Also look for kernel objects without a live session (lists links, cgroups and the
    /// nft table: tens of ms). Without it only the sessions recorded in the store are checked (cheap, for 1 Hz refresh).</param>
    public GcReport Collect(bool scanObjects = true)
    {
        // The cheap pass (every launch) reads the session records only when the claims cannot vouch for all of them:
        // as many of this database's claims are live (launcher running, or detached with PID 1 running) as there are
        // active records. Reading 200 records took ~25 ms of every launch at 200 envs; the claims cost a file each.
        // A record without a live claim (a crashed launcher, a reboot that emptied the run dir) makes the counts differ,
        // unless at that very moment another launch's live claim has no active record (claimed but not yet recorded,
        // or its end recorded before its claim is released): then the next launch's pass, or gc, catches it.
        if (!scanObjects && store.CountActiveSessions() == launcher.Claims.CountOwnedAndLive(launcher.Owner))
        {
            return new GcReport([], []);
        }

        var ended = new List<string>();
        var removed = new List<string>();
        // List kernel objects BEFORE reading the sessions: a launch records its session before it creates any
        // object, so every object listed here has its session visible below. The other order would see a
        // concurrent launch's fresh cgroup without its session and remove it.
        var candidates = scanObjects ? parts.Select(p => (Part: p, Ids: p.FindSessions().ToList())).ToList() : [];
        string sessionsDir = Path.Combine(launcher.Paths.RunDir, "sessions");
        var specs = scanObjects && Directory.Exists(sessionsDir) ? Directory.GetFiles(sessionsDir, "*.spec") : [];
        var claimed = scanObjects ? launcher.Claims.List() : [];
        var active = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in store.ListActiveSessions())
        {
            bool initAlive = InitOf(s) is { } init && ProcessInfo.IsSameProcess(init.Pid, init.StartTicks);
            bool launcherAlive = s.LauncherPid is int lp && ProcessInfo.IsSameProcess(lp, s.LauncherStartTicks);
            bool detached = s.LauncherPid is null;
            if (launcherAlive || (detached && initAlive))
            {
                active.Add(s.Id);
                continue;
            }
            string why = initAlive ? "its launcher died; the env was stopped" : s.State == SessionState.Starting ? "its launcher died while starting it" : "its processes have all exited";
            Stop(s, SessionState.Exited, why);
            ended.Add(s.Id);
        }

        // Sessions of other databases on this host (another developer's) are alive while their claim says so.
        foreach (var id in claimed)
        {
            if (!ended.Contains(id) && launcher.Claims.IsAlive(id)) active.Add(id);
        }
        foreach (var (part, ids) in candidates)
        {
            foreach (var id in ids)
            {
                if (active.Contains(id) || ended.Contains(id)) continue;
                if (part.Teardown(id)) removed.Add($"{part.Name} {id}");
            }
        }
        foreach (var spec in specs)
        {
            // "<id>.spec" or "<id>.attach-<n>.spec"
            string id = Path.GetFileName(spec).Split('.')[0];
            if (active.Contains(id) || !File.Exists(spec)) continue;
            File.Delete(spec);
            removed.Add($"spec {Path.GetFileNameWithoutExtension(spec)}");
        }
        foreach (var id in claimed)
        {
            if (!active.Contains(id)) launcher.Claims.Release(id);
        }
        if (scanObjects)
        {
            int pruned = store.PruneEndedSessions(KeepEndedSessions);
            if (pruned > 0) removed.Add($"{pruned} old session record(s)");
        }
        if (ended.Count + removed.Count > 0)
        {
            store.AppendEvent(new EventRecord { Time = DateTime.UtcNow, Kind = EventKinds.Gc, Message = $"ended {ended.Count} session(s) [{string.Join(", ", ended)}], removed {removed.Count} object(s) [{string.Join(", ", removed)}]" });
        }
        return new GcReport(ended, removed);
    }

    /// <summary>The session's PID 1: from its record, or (a command not yet recorded as running) from its claim.</summary>
    public (int Pid, long? StartTicks)? InitOf(SessionRecord s) =>
        s.InitPid is int pid ? (pid, s.InitStartTicks) : launcher.Claims.Init(s.Id);

    /// <summary>Kills the env (SIGKILL to its PID 1 takes the whole PID namespace), tears it down and records why.</summary>
    public void Stop(SessionRecord s, SessionState state, string why)
    {
        if (InitOf(s) is (int pid, var ticks) && ProcessInfo.IsSameProcess(pid, ticks))
        {
            _ = Sys.TryKill(pid, 9);
            var deadline = Environment.TickCount64 + 3000;
            while (ProcessInfo.IsSameProcess(pid, ticks) && Environment.TickCount64 < deadline)
            {
                if (ProcessInfo.IsZombieOrGone(pid)) break;
                Thread.Sleep(10);
            }
        }
        launcher.Teardown(s.Id);
        // A change of the stored record, not a write of this copy: the env's launcher may have recorded its end (exit
        // code, PID 1, address) meanwhile. A stop is why the env ended, so its state wins; an earlier end time stays.
        store.UpdateSession(s.Id, r =>
        {
            if (state == SessionState.Stopped || r.EndedAt is null) r.State = state;
            r.EndedAt ??= DateTime.UtcNow;
        }, releaseIp: true);
        store.AppendEvent(new EventRecord { Time = DateTime.UtcNow, SessionId = s.Id, Profile = s.Profile, Kind = state == SessionState.Stopped ? EventKinds.Stopped : EventKinds.Gc, Message = why });
    }
}
