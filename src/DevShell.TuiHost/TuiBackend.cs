using DevShell.Core.Events;
using DevShell.Core.Presenters;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Sessions;
using DevShell.Core.Units;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Launch;
using DevShell.Tui;

namespace DevShell;

/// <summary>
/// The TUI's view of the _engine. Usage is sampled from cgroup and interface counters only (no process spawns);
/// violations of envs nobody else watches (detached ones, or ones this TUI started) are recorded here.
/// </summary>
/// <remarks>
/// The TUI asks for profiles, sessions, usage and events once a second. Reading the store is the expensive part (each
/// call opens the shared database file), so reads are skipped while the database file is unchanged
/// (<see cref="FileChangeWatch"/>: one stat per file): an idle tick reads only the cgroup counters. The check that
/// ends sessions whose launcher or env died without a word (which no write announces) runs every
/// <see cref="ReconcileEvery"/> while envs run, at once when a sampled env's group disappears, and after every change.
/// </remarks>
internal sealed class TuiBackend : ITuiBackend, IDisposable
{
    /// <summary>How often the sessions are checked against their processes while the store is unchanged.</summary>
    public static readonly TimeSpan ReconcileEvery = TimeSpan.FromSeconds(5);

    private readonly Engine _engine;
    private readonly UsageSampler _sampler = new();
    private readonly Dictionary<string, (string Profile, long Dropped)> _sampled = [];
    private readonly object _gate = new();
    private readonly FileChangeWatch _db;
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly ChangeGatedValue<IReadOnlyList<Profile>> _profiles;
    private readonly ChangeGatedValue<IReadOnlyList<SessionRecord>> _active;
    private readonly ChangeGatedTail _events;
    private IReadOnlyList<SessionRecord>? _sampledFrom;
    private (IReadOnlyList<SessionRecord> Active, IReadOnlyList<Profile> Profiles, IReadOnlyList<TuiSession> Sessions)? _sessions;
    private DateTimeOffset _lastReconcile = DateTimeOffset.MinValue;
    private bool _reconcileDue = true;

    public TuiBackend(Engine engine)
    {
        _engine = engine;
        var db = _engine.Store.DbPath;
        // LiteDB keeps uncommitted pages in "<name>-log<ext>" next to the data file.
        var log = Path.Combine(Path.GetDirectoryName(db) ?? "", Path.GetFileNameWithoutExtension(db) + "-log" + Path.GetExtension(db));
        _db = new FileChangeWatch([db, log]);
        _profiles = new(_db, _engine.Store.List);
        _active = new(_db, _engine.Store.ListActiveSessions);
        _events = new(_db);
    }

    public IReadOnlyList<Profile> ListProfiles()
    {
        lock (_gate)
        {
            return Profiles();
        }
    }

    public void SaveProfile(Profile profile, bool isNew)
    {
        lock (_gate)
        {
            Changed();
            if (isNew)
            {
                _engine.Store.Add(profile);
                return;
            }
            var current = _engine.Store.Require(profile.Name);
            _engine.Store.Update(profile, profile.Revision == 0 ? current.Revision : profile.Revision);
        }
    }

    public void DeleteProfile(string name)
    {
        lock (_gate)
        {
            Changed();
            if (!_engine.Store.Delete(name)) throw new Core.Storage.ProfileNotFoundException(name);
        }
    }

    public void ImportPresets()
    {
        lock (_gate)
        {
            Changed();
            foreach (var preset in BuiltInPresets.Load())
            {
                if (_engine.Store.Get(preset.Name) is null) _engine.Store.Add(preset);
            }
        }
    }

    public IReadOnlyList<TuiSession> ListSessions()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            // With no env running and the store unchanged there is nothing to check (an env is recorded before it starts).
            var due = _reconcileDue || !_db.UnchangedSince(_active.Mark) || (now - _lastReconcile >= ReconcileEvery && _sessions is { Active.Count: > 0 });
            if (due)
            {
                _reconcileDue = false;
                _lastReconcile = now;
                if (!_engine.Reconcile(scanObjects: false).Nothing) Changed();
            }

            var active = Active();
            var profiles = Profiles();
            if (_sessions is { } last && ReferenceEquals(last.Active, active) && ReferenceEquals(last.Profiles, profiles))
            {
                return last.Sessions; // the same list: the TUI sees nothing changed
            }

            var byName = profiles.ToDictionary(p => p.Name, StringComparer.Ordinal);
            var sessions = active.Select(s =>
            {
                byName.TryGetValue(s.Profile, out var p);
                return new TuiSession(s.Id, s.Profile, s.State.ToString().ToLowerInvariant(), s.Ip, new DateTimeOffset(s.StartedAt, TimeSpan.Zero),
                    p?.Limits.Memory is string m && Size.TryParse(m, out long bytes, out _) ? bytes : null, p?.Limits.Pids, p?.Limits.Cpu);
            }).ToList();
            _sessions = (active, profiles, sessions);
            return sessions;
        }
    }

    public IReadOnlyList<TuiEvent> EventsSince(long afterId, int max)
    {
        lock (_gate)
        {
            if (_events.NothingAfter(afterId))
            {
                return [];
            }

            var mark = _events.BeginRead();
            var events = _engine.Store.QueryEvents(null, afterId, max).Select(e => new TuiEvent(e.Id, new DateTimeOffset(e.Time, TimeSpan.Zero), e.SessionId, e.Profile,
                e.Kind, e.Message ?? "", e.Kind is EventKinds.OomKill or EventKinds.MemoryMax or EventKinds.PidsMax or EventKinds.CpuThrottled or EventKinds.EgressBlocked)).ToList();
            _events.Read(mark, afterId, events.Count, max, events.Count == 0 ? null : events.Max(e => e.Id));
            return events;
        }
    }

    public IReadOnlyDictionary<string, TuiUsage> SampleUsage()
    {
        lock (_gate)
        {
            var active = Active();
            if (!ReferenceEquals(active, _sampledFrom))
            {
                foreach (var s in active)
                {
                    if (_sampled.ContainsKey(s.Id) || _engine.CgroupPart.Driver.Open(s.Id) is not { } handle) continue;
                    _sampler.Add(s.Id, handle, s.Veth);
                    _sampled[s.Id] = (s.Profile, 0);
                }
                var ids = active.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in _sampled.Keys.Where(id => !ids.Contains(id)).ToList())
                {
                    _sampler.Remove(gone);
                    _sampled.Remove(gone);
                }
                _sampledFrom = active;
            }
            var owned = active.Where(s => s.LauncherPid is null || s.LauncherPid == Environment.ProcessId).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var drops = owned.Count > 0 && active.Any(s => s.Ip is not null) ? SafeDrops() : null;
            var result = new Dictionary<string, TuiUsage>(StringComparer.Ordinal);
            foreach (var snap in _sampler.Sample())
            {
                if (!snap.Alive)
                {
                    _reconcileDue = true; // its group is gone: the env probably ended; check the sessions on the next tick
                    continue;
                }
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

    /// <summary>All profiles: the list read last while the database is unchanged (the same instance).</summary>
    private IReadOnlyList<Profile> Profiles() => _profiles.Get();

    /// <summary>Sessions that are starting or running: the list read last while the database is unchanged.</summary>
    private IReadOnlyList<SessionRecord> Active() => _active.Get();

    /// <summary>This process is about to write the store: read everything again next time, without waiting for the stamps.</summary>
    private void Changed()
    {
        _profiles.Invalidate();
        _active.Invalidate();
        _events.Invalidate();
    }

    private IReadOnlyDictionary<string, long>? SafeDrops()
    {
        try
        {
            return _engine.NetworkPart.Firewall.ReadDropCounters();
        }
        catch (Exception e) when (e is IOException or Linux.Interop.SyscallException or InvalidOperationException)
        {
            return null;
        }
    }

    private void Record(string session, string profile, string kind, string message, long? value, long? limit)
    {
        _events.Invalidate();
        _engine.Store.AppendEvent(new EventRecord { Time = DateTime.UtcNow, SessionId = session, Profile = profile, Kind = kind, Message = message, Value = value, Limit = limit });
    }

    public int OpenShell(string profile)
    {
        lock (_gate)
        {
            Changed();
        }

        var p = _engine.RequireProfile(profile);
        using var watch = _engine.Watch();
        var outcome = _engine.Launch(p, new LaunchRequest { Interactive = true, Tty = PtyRelay.StdinIsTerminal });
        return outcome.ExitCode;
    }

    public int AttachShell(string sessionId) => _engine.Attach(sessionId, [], PtyRelay.StdinIsTerminal);

    public void StopSession(string sessionId)
    {
        lock (_gate)
        {
            Changed();
            _engine.Stop(sessionId);
        }
    }

    public void Dispose() => _sampler.Dispose();
}
