using DevShell.Core.Events;
using DevShell.Core.Presenters;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Units;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Launch;
using DevShell.Tui;

namespace DevShell;

/// <summary>
/// The TUI's view of the engine. Usage is sampled from cgroup and interface counters only (no process spawns);
/// violations of envs nobody else watches (detached ones, or ones this TUI started) are recorded here.
/// </summary>
internal sealed class TuiBackend(Engine engine) : ITuiBackend, IDisposable
{
    private readonly UsageSampler _sampler = new();
    private readonly Dictionary<string, (string Profile, long Dropped)> _sampled = [];
    private readonly object _gate = new();

    public IReadOnlyList<Profile> ListProfiles() => engine.Store.List();

    public void SaveProfile(Profile profile, bool isNew)
    {
        if (isNew)
        {
            engine.Store.Add(profile);
            return;
        }
        var current = engine.Store.Require(profile.Name);
        engine.Store.Update(profile, profile.Revision == 0 ? current.Revision : profile.Revision);
    }

    public void DeleteProfile(string name)
    {
        if (!engine.Store.Delete(name)) throw new Core.Storage.ProfileNotFoundException(name);
    }

    public void ImportPresets()
    {
        foreach (var preset in BuiltInPresets.Load())
        {
            if (engine.Store.Get(preset.Name) is null) engine.Store.Add(preset);
        }
    }

    public IReadOnlyList<TuiSession> ListSessions()
    {
        engine.Reconcile(scanObjects: false);
        var profiles = engine.Store.List().ToDictionary(p => p.Name, StringComparer.Ordinal);
        return engine.Store.ListActiveSessions().Select(s =>
        {
            profiles.TryGetValue(s.Profile, out var p);
            return new TuiSession(s.Id, s.Profile, s.State.ToString().ToLowerInvariant(), s.Ip, new DateTimeOffset(s.StartedAt, TimeSpan.Zero),
                p?.Limits.Memory is string m && Size.TryParse(m, out long bytes, out _) ? bytes : null, p?.Limits.Pids, p?.Limits.Cpu);
        }).ToList();
    }

    public IReadOnlyList<TuiEvent> EventsSince(long afterId, int max) =>
        engine.Store.QueryEvents(null, afterId, max).Select(e => new TuiEvent(e.Id, new DateTimeOffset(e.Time, TimeSpan.Zero), e.SessionId, e.Profile,
            e.Kind, e.Message ?? "", e.Kind is EventKinds.OomKill or EventKinds.MemoryMax or EventKinds.PidsMax or EventKinds.CpuThrottled or EventKinds.EgressBlocked)).ToList();

    public IReadOnlyDictionary<string, TuiUsage> SampleUsage()
    {
        lock (_gate)
        {
            var active = engine.Store.ListActiveSessions();
            foreach (var s in active)
            {
                if (_sampled.ContainsKey(s.Id) || engine.CgroupPart.Driver.Open(s.Id) is not { } handle) continue;
                _sampler.Add(s.Id, handle, s.Veth);
                _sampled[s.Id] = (s.Profile, 0);
            }
            foreach (var gone in _sampled.Keys.Where(id => active.All(s => s.Id != id)).ToList())
            {
                _sampler.Remove(gone);
                _sampled.Remove(gone);
            }
            var owned = active.Where(s => s.LauncherPid is null || s.LauncherPid == Environment.ProcessId).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var drops = owned.Count > 0 && active.Any(s => s.Ip is not null) ? SafeDrops() : null;
            var result = new Dictionary<string, TuiUsage>(StringComparer.Ordinal);
            foreach (var snap in _sampler.Sample())
            {
                if (!snap.Alive) continue;
                result[snap.SessionId] = new TuiUsage(snap.CpuPercent ?? 0, snap.MemoryCurrentBytes ?? 0, snap.MemoryPeakBytes ?? 0,
                    (int)(snap.PidsCurrent ?? 0), snap.NetRxBytes ?? 0, snap.NetTxBytes ?? 0);
                if (!owned.Contains(snap.SessionId)) continue;
                var (profile, dropped) = _sampled[snap.SessionId];
                foreach (var v in snap.Violations) Record(snap.SessionId, profile, v.Kind, v.Describe(), v.Value, v.Limit);
                if (drops is not null && drops.TryGetValue(snap.SessionId, out long now) && now > dropped)
                {
                    Record(snap.SessionId, profile, EventKinds.EgressBlocked, $"egress policy dropped {now - dropped} packet(s)", now - dropped, null);
                    _sampled[snap.SessionId] = (profile, now);
                }
            }
            return result;
        }
    }

    private IReadOnlyDictionary<string, long>? SafeDrops()
    {
        try
        {
            return engine.NetworkPart.Firewall.ReadDropCounters();
        }
        catch (Exception e) when (e is IOException or Linux.Interop.SyscallException or InvalidOperationException)
        {
            return null;
        }
    }

    private void Record(string session, string profile, string kind, string message, long? value, long? limit) =>
        engine.Store.AppendEvent(new EventRecord { Time = DateTime.UtcNow, SessionId = session, Profile = profile, Kind = kind, Message = message, Value = value, Limit = limit });

    public int OpenShell(string profile)
    {
        var p = engine.RequireProfile(profile);
        using var watch = engine.Watch();
        var outcome = engine.Launch(p, new LaunchRequest { Interactive = true, Tty = PtyRelay.StdinIsTerminal });
        return outcome.ExitCode;
    }

    public int AttachShell(string sessionId) => engine.Attach(sessionId, [], PtyRelay.StdinIsTerminal);

    public void StopSession(string sessionId) => engine.Stop(sessionId);

    public void Dispose() => _sampler.Dispose();
}
