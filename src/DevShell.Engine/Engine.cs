using System.Collections;
using DevShell.Core.Events;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Core.Validation;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Identity;
using DevShell.Linux.Interop;
using DevShell.Linux.Launch;
using DevShell.Linux.Launch.Parts;

namespace DevShell;

/// <summary>
/// The composition root: the store, the developer, the cgroup driver and the launcher with its parts. The CLI verbs
/// and the TUI backend both go through it; neither knows the other.
/// </summary>
public sealed class Engine : IDisposable
{
    private readonly Lock _storeGate = new();
    private DevShellStore? _store;
    private readonly StoreJournal _journal;
    private readonly Lazy<Launcher> _launcher;
    private readonly Lazy<CgroupHostInfo> _cgroupHost;

    public Engine(IReadOnlyDictionary<string, string?>? environment = null)
    {
        Environment = environment ?? ReadEnvironment();
        IsRoot = Host.EffectiveUid == 0;
        Developer = Developer.Resolve(Environment, Host.RealUid, Host.RealGid);
        Location = StorePaths.Resolve(Environment.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!), IsRoot);
        Paths = LauncherPaths.Discover();
        string dbPath = Path.GetFullPath(Location.DbPath);
        Validation = Location.ToValidationContext() with { DbPath = dbPath };
        Snapshots = new ProfileSnapshots(dbPath);
        _journal = new StoreJournal(() => Store, new StoreOutbox(dbPath));
        _cgroupHost = new(() => Linux.Cgroups.CgroupHost.Detect());
        _launcher = new(() => new Launcher(Paths, Parts(), _journal) { Owner = Location.DbPath, RunningRecordDelayMs = RunningRecordDelay(Environment) });
    }

    public IReadOnlyDictionary<string, string?> Environment { get; }
    public bool IsRoot { get; }
    public Developer Developer { get; }
    public StoreLocation Location { get; }
    public LauncherPaths Paths { get; }

    /// <summary>The rules profiles are checked against (the store's, known without opening it).</summary>
    public ValidationContext Validation { get; }

    /// <summary>Copies of stored profiles that a launch reads without opening the store.</summary>
    public ProfileSnapshots Snapshots { get; }
    /// <summary>The store, opened on first use.</summary>
    public DevShellStore Store
    {
        get
        {
            lock (_storeGate)
            {
                return _store ??= OpenStore(out _, hold: false);
            }
        }
    }

    /// <summary>
    /// Starts a store batch on this thread: the calls that follow share one hold of the store's lock and one open of
    /// its file (see <see cref="DevShellStore.Batch"/>). When the store is not open yet, the batch begins with opening
    /// it, so its check of the file shares that unit too. <see cref="Launch"/> ends it once the session is recorded.
    /// <para>
    /// A launch's batch leaves the outbox (the ends of earlier launches) to later units unless it holds
    /// <see cref="OutboxBound"/> changes: applying it was two thirds of a bridged launch's unit in a fresh process
    /// (the session's update and its events, ~5 ms here), and nothing the launch reads depends on it. `ps`, `gc`, the
    /// TUI and every other unit apply it first, as before. Its open checks the file quickly (see
    /// <see cref="DevShellStore.Open(string, StoreOptions?, out StoreBatch, bool, bool)"/>).
    /// </para>
    /// </summary>
    public StoreBatch BatchStore()
    {
        lock (_storeGate)
        {
            bool applyOutbox = !_journal.CanDefer || _journal.Outbox.HoldsAtLeast(OutboxBound);
            if (_store is not null) return _store.Batch(oneTransaction: true, applyOutbox);
            _store = OpenStore(out var batch, hold: true, applyOutbox, quickCheck: true);
            return batch!;
        }
    }

    public Launcher Launcher => _launcher.Value;

    /// <summary>Units of work this process opened on the store (0 when it never opened it); for DEVSHELL_TRACE and tests.</summary>
    public int StoreUnitsOpened
    {
        get
        {
            lock (_storeGate)
            {
                return _store?.UnitsOpened ?? 0;
            }
        }
    }
    public CgroupHostInfo CgroupHost => _cgroupHost.Value;

    private CgroupPart? _cgroupPart;

    /// <summary>The cgroup parent group; DEVSHELL_CGROUP_PARENT lets tests keep theirs apart from real sessions.</summary>
    public string CgroupParent => Environment.TryGetValue("DEVSHELL_CGROUP_PARENT", out var p) && !string.IsNullOrEmpty(p) ? p : "devshell";

    public CgroupPart CgroupPart => _cgroupPart ??= new CgroupPart(CgroupHost.CreateDriver(CgroupParent));

    private NetworkPart? _networkPart;

    public NetworkPart NetworkPart => _networkPart ??= new NetworkPart(() => Store, NetworkNames.From(Environment, Paths.RunDir));

    /// <summary>Parts in creation order; teardown runs in reverse (network, then cgroup).</summary>
    private List<IEnvironmentPart> Parts() => [new HomePart(Location.DataDirectory), CgroupPart, NetworkPart];

    private DevShellStore OpenStore(out StoreBatch? held, bool hold, bool applyOutbox = true, bool quickCheck = false)
    {
        bool isNew = !File.Exists(Location.DbPath);
        var options = new StoreOptions { Validation = Location.ToValidationContext() };
        DevShellStore store;
        if (hold)
        {
            store = DevShellStore.Open(Location.DbPath, options, out var batch, applyOutbox, quickCheck);
            held = batch;
        }
        else
        {
            store = DevShellStore.Open(Location.DbPath, options);
            held = null;
        }
        if (isNew && store.SeedIfEmpty(BuiltInPresets.Load()) > 0) store.Backup(force: true);
        GiveToDeveloper(Location.DataDirectory);
        GiveToDeveloper(Location.DbPath);
        GiveToDeveloper(store.BackupPath);
        GiveToDeveloper(store.LockPath);
        // Root's launches write into these (files readable by the developer, who owns the directories and so can
        // remove them when one of their own commands applies the outbox or a profile changes).
        GiveToDeveloper(store.Outbox.Directory);
        GiveToDeveloper(store.Snapshots.Directory);
        GiveToDeveloper(Path.Combine(Path.GetDirectoryName(Location.DbPath)!, Path.GetFileNameWithoutExtension(Location.DbPath) + "-log" + Path.GetExtension(Location.DbPath)));
        return store;
    }

    /// <summary>Under sudo, the data dir and DB belong to the developer, not root.</summary>
    private void GiveToDeveloper(string path)
    {
        if (!IsRoot || Location.OwnerUid is not int uid || !Path.Exists(path)) return;
        Host.Chown(path, uid, Location.OwnerGid ?? uid);
    }

    public Profile RequireProfile(string name) => Store.Require(name);

    /// <summary>
    /// The profile a launch runs, read the cheapest way: from its copy (see <see cref="ProfileSnapshots"/>) without
    /// opening the store, when the store has made one and its outbox (where the launch then posts its records). Else
    /// from the store, in a batch returned in <paramref name="batch"/> for <see cref="Launch"/> to keep its records in.
    /// </summary>
    /// <exception cref="ProfileNotFoundException">There is no such profile.</exception>
    /// <param name="copy">the profile's copy as the caller already read it from <see cref="Snapshots"/>, if it did.</param>
    public Profile LaunchProfile(string name, out StoreBatch? batch, Profile? copy = null)
    {
        // The database file must exist: copies left next to a deleted one stand for nothing (opening the store makes a
        // new file and drops them).
        if (_journal.CanDefer && File.Exists(Location.DbPath) && (copy ?? Snapshots.TryRead(name)) is { } read)
        {
            batch = null;
            return read;
        }

        batch = BatchStore();
        try
        {
            return RequireProfile(name);
        }
        catch
        {
            batch.Dispose();
            batch = null;
            throw;
        }
    }

    public SessionRecord RequireSession(string id) =>
        Store.GetSession(id) ?? throw new SessionNotFoundException(id);

    /// <summary>Checks the host can honour the profile; throws before anything is created.</summary>
    public void CheckHost(Profile profile)
    {
        ProfileValidator.ThrowIfInvalid(profile, Validation);
        var problems = Preflight.Check(profile, Developer, Paths, IsRoot, IsRoot ? CgroupHost.Missing : null);
        if (problems.Count == 0) return;
        string message = Preflight.Describe(profile, problems);
        if (problems.Any(p => p.HostLacks)) throw new HostUnsupportedException(message);
        throw new DevShellInputException(message);
    }

    /// <summary>Time spent before the launcher started (for DEVSHELL_TRACE).</summary>
    public List<(string Phase, double Ms)> PrePhases { get; } = [];

    /// <summary>
    /// Checks the host, reconciles, and launches. The session's records take the cheapest way that keeps them safe:
    /// <list type="bullet">
    /// <item>With <paramref name="batch"/> (from <see cref="LaunchProfile"/> or <see cref="BatchStore"/>, holding the open
    /// of the store and the profile read), the cheap reconcile pass, the Starting record and the parts' reservations join
    /// that unit of work, which ends at ISessionJournal.Reserved: the launch's only store unit before the spawn.</item>
    /// <item>A profile that needs something from the store before the spawn (a bridged network's IP lease) opens that
    /// one unit here.</item>
    /// <item>Otherwise the store is not opened at all: the Starting record and the end go to its outbox (applied by the
    /// next unit of any process), the cheap reconcile pass asks the claims, and a command that runs for
    /// <see cref="Launcher.RunningRecordDelayMs"/> records itself as running in the store meanwhile.</item>
    /// </list>
    /// </summary>
    /// <param name="early">stage two started before the launch for this profile (see <see cref="EarlyInit"/>); the launch adopts or kills it.</param>
    public LaunchOutcome Launch(Profile profile, LaunchRequest request, StoreBatch? batch = null, EarlyInit? early = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CheckHost(profile);
        PrePhases.Add(("preflight", clock.Elapsed.TotalMilliseconds));
        clock.Restart();
        // The cheap pass checks the recorded sessions only. A crashed launch always leaves its session record
        // (it is written before any kernel object), so when that pass ends a session, look for objects too
        // (outside the batch: a full pass may wait for an env to die, and other processes would wait on the lock).
        // Without the store open, a dead claim of this database is what a crash leaves; only then is the store read.
        bool storeClosed = batch is not { IsOpen: true } && _store is null;
        if ((!storeClosed || (IsRoot && Launcher.Claims.AnyOwnedAndDead(Launcher.Owner))) && !Reconcile(scanObjects: false).Nothing)
        {
            batch?.Dispose();
            Reconcile();
        }
        PrePhases.Add(("reconcile", clock.Elapsed.TotalMilliseconds));
        StoreBatch? opened = null;
        if (batch is not { IsOpen: true } && NeedsStoreBeforeSpawn(profile))
        {
            clock.Restart();
            batch = opened = BatchStore();
            PrePhases.Add(("store-open", clock.Elapsed.TotalMilliseconds));
        }
        _journal.EndWhenReserved = batch is { IsOpen: true } ? batch : null;
        LaunchOutcome outcome;
        try
        {
            outcome = Launcher.Launch(profile, Developer, request, Environment, early: early);
        }
        finally
        {
            _journal.EndWhenReserved = null;
            opened?.Dispose();
        }

        // Quick commands in a loop (CI) with nothing else reading the store: one launch in OutboxBound applies the
        // outbox, so it never holds more than that (a unit for ~OutboxBound changes, ~0.2 ms a launch on average). A
        // launch that opened the store has applied it already when it held that many (see BatchStore).
        if (StoreUnitsOpened == 0 && _journal.CanDefer && _journal.Outbox.HoldsAtLeast(OutboxBound)) Store.ApplyOutboxNow();
        return outcome;
    }

    /// <summary>How many posted changes a launch leaves in the store's outbox before it applies them itself.</summary>
    public const int OutboxBound = 256;

    /// <summary>A bridged env leases its address in the store before its network exists.</summary>
    private static bool NeedsStoreBeforeSpawn(Profile profile) => profile.Network.Mode == "bridge";

    /// <summary>Samples the env this process launches and records violations as they happen.</summary>
    public ViolationWatch Watch()
    {
        var watch = new ViolationWatch(CgroupPart.Driver, _journal, () => NetworkPart.Firewall.ReadDropCounters());
        Launcher.OnTick = watch.Tick;
        Launcher.OnEnd = watch.Final;
        return watch;
    }

    public int Attach(string sessionId, IReadOnlyList<string> command, bool tty)
    {
        if (!IsRoot) throw new HostUnsupportedException("attaching to an env needs root: run it with sudo");
        Reconcile();
        var s = RequireSession(sessionId);
        if (!s.IsActive || Reaper().InitOf(s) is not (int pid, var ticks) || !ProcessInfo.IsSameProcess(pid, ticks))
        {
            throw new SessionNotFoundException(sessionId);
        }
        return Launcher.Attach(sessionId, s.Namespaces, pid, tty, command);
    }

    public void Stop(string sessionId)
    {
        var s = RequireSession(sessionId);
        if (!s.IsActive) throw new SessionNotFoundException(sessionId);
        Reaper().Stop(s, SessionState.Stopped, "stopped by the user");
    }

    private SessionReaper Reaper() => new(Store, Launcher, [CgroupPart, NetworkPart]);

    /// <summary>Ends sessions whose env is gone and removes what a crashed launcher left behind.</summary>
    public GcReport Reconcile(bool scanObjects = true) => IsRoot ? Reaper().Collect(scanObjects) : new GcReport([], []);

    public void Dispose()
    {
        _store?.Dispose();
    }

    private static int RunningRecordDelay(IReadOnlyDictionary<string, string?> environment) =>
        environment.TryGetValue("DEVSHELL_RUNNING_RECORD_DELAY_MS", out var text)
            && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ms)
            ? ms
            : Launcher.DefaultRunningRecordDelayMs;

    private static Dictionary<string, string?> ReadEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry kv in System.Environment.GetEnvironmentVariables()) env[(string)kv.Key] = (string?)kv.Value;
        return env;
    }
}

public sealed class SessionNotFoundException(string id) : Exception($"no session \"{id}\" (see `devshell ps`)")
{
    public string Id { get; } = id;
}

/// <summary>
/// Writes the life of sessions into the store (opened on first use), or, when the launch has no store unit open, into
/// its outbox (<see cref="StoreOutbox"/>): the Starting record before the spawn and the end after it, so that a quick
/// command never waits for LiteDB. The Running record, violations and other events are written to the store directly:
/// they come while the env runs, off the launch's path.
/// </summary>
internal sealed class StoreJournal(Func<DevShellStore> open, StoreOutbox outbox) : ISessionJournal
{
    public StoreOutbox Outbox => outbox;

    private DevShellStore? _store;
    private bool _outboxSeen;

    /// <summary>Sessions of this process whose end is not written yet: the record they started as, the changes queued.</summary>
    private readonly Dictionary<string, (SessionRecord Started, int Queued)> _open = new(StringComparer.Ordinal);

    private DevShellStore Store => _store ??= open();

    /// <summary>
    /// A batch to end once the session is recorded and the parts have reserved what they need from the store (the
    /// launch's one store unit before the spawn, for a bridged env's IP lease).
    /// </summary>
    public StoreBatch? EndWhenReserved { get; set; }

    /// <summary>
    /// True when the outbox exists (every open of the store makes it), so changes posted there will be applied. Once seen
    /// it is not looked for again.
    /// </summary>
    public bool CanDefer => _outboxSeen || (_outboxSeen = outbox.IsReady);

    /// <summary>The sequence number of the session's next queued change.</summary>
    private int NextSeq(string sessionId)
    {
        var (started, queued) = _open[sessionId];
        _open[sessionId] = (started, queued + 1);
        return queued + 1;
    }

    public void Starting(EnvContext env, LaunchRequest request, int launcherPid)
    {
        var session = NewSession(env, request, launcherPid);
        _open[session.Id] = (session, 0);
        // Queued even when the launch holds a store unit (a bridged one, for its lease): inserting the record there cost a
        // fresh process ~2 ms (the sessions collection and its index loaded for it); a queued change ~0.5 ms. Posted
        // before the lease, it is applied before anything reads that lease (every unit of another process applies the
        // outbox first), and the claim file covers the moment in between.
        if (CanDefer)
        {
            outbox.Post(new SessionChange { SessionId = session.Id, Seq = NextSeq(session.Id), Add = session });
            return;
        }

        Store.AddSession(session);
    }

    public void Reserved()
    {
        EndWhenReserved?.Dispose();
        EndWhenReserved = null;
    }

    private static SessionRecord NewSession(EnvContext env, LaunchRequest request, int launcherPid) => new()
    {
        Id = env.SessionId,
        Profile = env.Profile.Name,
        State = SessionState.Starting,
        LauncherPid = launcherPid,
        LauncherStartTicks = ProcessInfo.StartTicks(launcherPid),
        Uid = env.Developer.Uid,
        Hostname = env.Profile.Hostname ?? env.Profile.Name,
        Namespaces = [.. env.Profile.Namespaces],
        StartedAt = DateTime.UtcNow,
        Command = [.. request.Command],
    };

    /// <summary>Direct: the env runs (a command for RunningRecordDelayMs, or a shell), so nobody waits for this write.</summary>
    public void Running(EnvContext env, int initPid) =>
        Store.Apply(new SessionChange
        {
            SessionId = env.SessionId,
            Running = Facts(env, initPid, ProcessInfo.StartTicks(initPid)),
            Events = [Started(env, initPid)],
        });

    public void Ended(string sessionId, string state, int? exitCode, string? message) => End(sessionId, state, exitCode, null);

    public void Ended(string sessionId, string profile, string state, int? exitCode, string message, long? value) =>
        End(sessionId, state, exitCode, Event(sessionId, profile, state, message, value));

    /// <summary>One write for both records; the started event keeps its place before the ended one.</summary>
    public void RanAndEnded(EnvContext env, int initPid, string state, int exitCode, string message) =>
        Write(env.SessionId, seq => new SessionChange
        {
            SessionId = env.SessionId,
            Seq = seq,
            Add = StartedAs(env.SessionId),
            // PID 1 is gone by now: its start time is no longer readable, and nothing needs it for an ended session.
            Running = Facts(env, initPid, ticks: null),
            Ended = new EndFacts(StateOf(state), exitCode, DateTime.UtcNow),
            Events = [Started(env, initPid), Event(env.SessionId, env.Profile.Name, state, message, exitCode)],
            ReleaseIp = true,
        });

    private void End(string sessionId, string state, int? exitCode, EventRecord? record) =>
        Write(sessionId, seq => new SessionChange
        {
            SessionId = sessionId,
            Seq = seq,
            Add = StartedAs(sessionId),
            Ended = new EndFacts(StateOf(state), exitCode, DateTime.UtcNow),
            Events = record is null ? [] : [record],
            ReleaseIp = true,
        });

    /// <summary>
    /// An end goes to the outbox when there is one: nobody needs it before the next unit of work, which applies it
    /// first (the IP lease it releases too: the next bridged launch's lease unit frees the address before it picks one).
    /// </summary>
    private void Write(string sessionId, Func<int, SessionChange> change)
    {
        if (CanDefer && _open.ContainsKey(sessionId)) outbox.Post(change(NextSeq(sessionId)));
        else Store.Apply(change(0));
        _open.Remove(sessionId); // its end: nothing of it is queued after this
    }

    /// <summary>The session as it started, for an end to record it if its Starting record was rolled back.</summary>
    private SessionRecord? StartedAs(string sessionId) => _open.TryGetValue(sessionId, out var open) ? open.Started : null;

    private static SessionState StateOf(string state) =>
        state switch { "failed" => SessionState.Failed, "stopped" => SessionState.Stopped, _ => SessionState.Exited };

    private static RunningFacts Facts(EnvContext env, int initPid, long? ticks) =>
        new(initPid, ticks, new Dictionary<string, string>(env.CgroupPaths), env.NetnsPath, env.Veth, env.Ip);

    private static EventRecord Started(EnvContext env, int initPid) =>
        Event(env.SessionId, env.Profile.Name, EventKinds.Started, $"pid {initPid}");

    public void Detached(string sessionId)
    {
        _open.Remove(sessionId); // gc's reaper ends it, not this process
        Store.UpdateSession(sessionId, s =>
        {
            s.LauncherPid = null;
            s.LauncherStartTicks = null;
        });
    }

    public void Record(string sessionId, string profile, string kind, string message, long? value = null, long? limit = null) =>
        Store.AppendEvent(Event(sessionId, profile, kind, message, value, limit));

    private static EventRecord Event(string sessionId, string profile, string kind, string message, long? value = null, long? limit = null) =>
        new()
        {
            Time = DateTime.UtcNow,
            SessionId = sessionId,
            Profile = profile.Length == 0 ? null : profile,
            Kind = kind,
            Message = message,
            Value = value,
            Limit = limit,
        };
}
