using System.Diagnostics;
using System.Globalization;
using DevShell.Core.Events;
using DevShell.Core.Presenters;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Tui.Tests.Fakes;

/// <summary>
/// An in-memory <see cref="ITuiBackend"/> (a seam for tests and the demo; the real engine is tested elsewhere).
/// Profiles start as the shipped presets and are validated like the store does. <see cref="OpenShell"/> runs a plain
/// interactive bash on the terminal (no isolation) whose prompt and HOSTNAME name the profile, and shows the env in
/// <see cref="ListSessions"/> while it runs. With <see cref="SimulatedEnvs"/> &gt; 0, that many extra envs run with
/// moving CPU/memory/network use, and a violation is raised every <see cref="ViolationEvery"/>.
/// </summary>
public sealed class FakeBackend : ITuiBackend
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Profile> _profiles = new(StringComparer.Ordinal);
    private readonly List<TuiSession> _sessions = [];
    private readonly List<TuiEvent> _events = [];
    private readonly Dictionary<string, (long Rx, long Tx, double Cpu, long Mem)> _counters = [];
    private readonly Random _random = new(42);
    private readonly TimeProvider _time;
    private DateTimeOffset _lastViolation;
    private long _nextEventId = 1;
    private int _nextSession = 1;

    public FakeBackend(int simulatedEnvs = 0, TimeSpan? violationEvery = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        SimulatedEnvs = simulatedEnvs;
        ViolationEvery = violationEvery ?? TimeSpan.FromSeconds(20);
        _lastViolation = _time.GetUtcNow();
        foreach (var preset in BuiltInPresets.Load())
        {
            _profiles[preset.Name] = preset;
        }

        var names = _profiles.Keys.Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < simulatedEnvs && names.Count > 0; i++)
        {
            var profile = _profiles[names[i % names.Count]];
            StartSession(profile, _time.GetUtcNow() - TimeSpan.FromSeconds(_random.Next(5, 50_000)));
        }
    }

    /// <summary>Simulated envs started at construction.</summary>
    public int SimulatedEnvs { get; }

    /// <summary>How often a simulated env reports a violation.</summary>
    public TimeSpan ViolationEvery { get; }

    /// <summary>Every call made, in order, e.g. "OpenShell orders-api" (for tests).</summary>
    public List<string> Calls { get; } = [];

    /// <summary>When set, <see cref="OpenShell"/> throws it (to test a failed launch).</summary>
    public string? OpenShellFailure { get; set; }

    /// <summary>
    /// When set, <see cref="OpenShell"/> runs this program instead of bash, with "{profile}" in the arguments replaced,
    /// e.g. ["/path/devshell", "shell", "{profile}"]: the TUI's hand-off then drives a real env's pty relay.
    /// </summary>
    public IReadOnlyList<string>? ShellCommand { get; set; }

    /// <summary>
    /// Options from the environment, for the demo: DEVSHELL_FAKE_ENVS (simulated envs), DEVSHELL_FAKE_VIOLATION_SECONDS,
    /// DEVSHELL_FAKE_OPEN_FAILS (make OpenShell fail with that message), DEVSHELL_FAKE_SHELL_COMMAND (see <see cref="ShellCommand"/>).
    /// </summary>
    public static FakeBackend FromEnvironment()
    {
        var envs = int.TryParse(Environment.GetEnvironmentVariable("DEVSHELL_FAKE_ENVS"), CultureInfo.InvariantCulture, out var n) ? n : 0;
        var every = double.TryParse(Environment.GetEnvironmentVariable("DEVSHELL_FAKE_VIOLATION_SECONDS"), CultureInfo.InvariantCulture, out var s)
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(20);
        var command = Environment.GetEnvironmentVariable("DEVSHELL_FAKE_SHELL_COMMAND");
        return new FakeBackend(envs, every)
        {
            OpenShellFailure = Environment.GetEnvironmentVariable("DEVSHELL_FAKE_OPEN_FAILS"),
            ShellCommand = string.IsNullOrWhiteSpace(command) ? null : command.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        };
    }

    public IReadOnlyList<Profile> ListProfiles()
    {
        lock (_gate)
        {
            return _profiles.Values.Select(Core.Presenters.ProfileForm.Copy).ToList();
        }
    }

    public void SaveProfile(Profile profile, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(profile);
        lock (_gate)
        {
            Calls.Add($"SaveProfile {profile.Name} {(isNew ? "new" : "edit")}");
            ProfileValidator.ThrowIfInvalid(profile);
            if (isNew && _profiles.ContainsKey(profile.Name))
            {
                throw new InvalidOperationException($"profile \"{profile.Name}\" already exists (choose another name)");
            }

            if (!isNew && !_profiles.ContainsKey(profile.Name))
            {
                throw new InvalidOperationException($"profile \"{profile.Name}\" does not exist any more (it was deleted meanwhile)");
            }

            var stored = Core.Presenters.ProfileForm.Copy(profile);
            stored.Revision++;
            stored.Updated = _time.GetUtcNow().UtcDateTime;
            if (isNew)
            {
                stored.Created = stored.Updated;
            }

            _profiles[stored.Name] = stored;
        }
    }

    public void DeleteProfile(string name)
    {
        lock (_gate)
        {
            Calls.Add($"DeleteProfile {name}");
            if (!_profiles.Remove(name))
            {
                throw new InvalidOperationException($"profile \"{name}\" does not exist");
            }
        }
    }

    public void ImportPresets()
    {
        lock (_gate)
        {
            Calls.Add("ImportPresets");
            foreach (var preset in BuiltInPresets.Load())
            {
                _profiles.TryAdd(preset.Name, preset);
            }
        }
    }

    public IReadOnlyList<TuiSession> ListSessions()
    {
        lock (_gate)
        {
            return [.. _sessions];
        }
    }

    public IReadOnlyList<TuiEvent> EventsSince(long afterId, int max)
    {
        lock (_gate)
        {
            MaybeRaiseViolation();
            return _events.Where(e => e.Id > afterId).Take(max).ToList();
        }
    }

    public IReadOnlyDictionary<string, TuiUsage> SampleUsage()
    {
        lock (_gate)
        {
            var result = new Dictionary<string, TuiUsage>(StringComparer.Ordinal);
            foreach (var s in _sessions)
            {
                var c = _counters.GetValueOrDefault(s.Id);
                var cpuMax = (s.CpuLimitCores ?? 1) * 100;
                var cpu = Math.Clamp(c.Cpu + ((_random.NextDouble() - 0.5) * cpuMax * 0.3), 0, cpuMax);
                var memLimit = s.MemoryLimitBytes ?? (1L << 30);
                var mem = Math.Clamp(c.Mem + (long)((_random.NextDouble() - 0.45) * memLimit * 0.05), 16L << 20, memLimit);
                c = (c.Rx + _random.Next(0, 200_000), c.Tx + _random.Next(0, 50_000), cpu, mem);
                _counters[s.Id] = c;
                result[s.Id] = new TuiUsage(cpu, mem, Math.Max(mem, (long)(memLimit * 0.8)), _random.Next(3, 40), c.Rx, c.Tx);
            }

            return result;
        }
    }

    public int OpenShell(string profile)
    {
        TuiSession session;
        lock (_gate)
        {
            Calls.Add($"OpenShell {profile}");
            if (OpenShellFailure is { } failure)
            {
                throw new InvalidOperationException(failure);
            }

            if (!_profiles.TryGetValue(profile, out var p))
            {
                throw new InvalidOperationException($"profile \"{profile}\" does not exist");
            }

            session = StartSession(p, _time.GetUtcNow());
        }

        try
        {
            return ShellCommand is { Count: > 0 } command
                ? Run(command[0], command.Skip(1).Select(a => a.Replace("{profile}", profile, StringComparison.Ordinal)))
                : RunBash(session.Profile, _profiles[profile].Hostname ?? profile);
        }
        finally
        {
            lock (_gate)
            {
                EndSession(session.Id, EventKinds.Exited, "shell exited");
            }
        }
    }

    public int AttachShell(string sessionId)
    {
        TuiSession session;
        lock (_gate)
        {
            Calls.Add($"AttachShell {sessionId}");
            session = _sessions.FirstOrDefault(s => s.Id == sessionId)
                ?? throw new InvalidOperationException($"env \"{sessionId}\" is not running");
        }

        return RunBash(session.Profile + " (attached)", session.Profile);
    }

    public void StopSession(string sessionId)
    {
        lock (_gate)
        {
            Calls.Add($"StopSession {sessionId}");
            if (_sessions.All(s => s.Id != sessionId))
            {
                throw new InvalidOperationException($"env \"{sessionId}\" is not running");
            }

            EndSession(sessionId, EventKinds.Stopped, "stopped from the TUI");
        }
    }

    /// <summary>Adds an event as the engine would (for tests).</summary>
    public void AddEvent(string? sessionId, string kind, string message, bool violation)
    {
        lock (_gate)
        {
            var profile = _sessions.FirstOrDefault(s => s.Id == sessionId)?.Profile;
            _events.Add(new TuiEvent(_nextEventId++, _time.GetUtcNow(), sessionId, profile, kind, message, violation));
        }
    }

    private TuiSession StartSession(Profile p, DateTimeOffset startedAt)
    {
        var id = $"{p.Name}-{_nextSession++:x3}";
        long? memory = p.Limits?.Memory is { } m && Core.Units.Size.TryParse(m, out var bytes, out _) ? bytes : null;
        var ip = p.Network?.Mode == "bridge" ? $"10.88.0.{(_nextSession % 250) + 2}" : null;
        var session = new TuiSession(id, p.Name, "running", ip, startedAt, memory, p.Limits?.Pids, p.Limits?.Cpu);
        _sessions.Add(session);
        _counters[id] = (0, 0, 5, 64L << 20);
        _events.Add(new TuiEvent(_nextEventId++, _time.GetUtcNow(), id, p.Name, EventKinds.Started, $"env started{(ip is null ? "" : " at " + ip)}", false));
        return session;
    }

    private void EndSession(string id, string kind, string message)
    {
        var session = _sessions.FirstOrDefault(s => s.Id == id);
        if (session is null)
        {
            return;
        }

        _sessions.Remove(session);
        _counters.Remove(id);
        _events.Add(new TuiEvent(_nextEventId++, _time.GetUtcNow(), id, session.Profile, kind, message, false));
    }

    private void MaybeRaiseViolation()
    {
        var now = _time.GetUtcNow();
        if (SimulatedEnvs == 0 || _sessions.Count == 0 || now - _lastViolation < ViolationEvery)
        {
            return;
        }

        _lastViolation = now;
        var s = _sessions[_random.Next(_sessions.Count)];
        (string Kind, string Message)[] kinds =
        [
            (EventKinds.OomKill, $"python3 (pid {_random.Next(2, 900)}) killed: memory limit {TuiFormat.Bytes(s.MemoryLimitBytes)} reached"),
            (EventKinds.PidsMax, $"fork failed: pids limit {s.PidsLimit?.ToString(CultureInfo.InvariantCulture) ?? "-"} reached"),
            (EventKinds.CpuThrottled, "CPU throttled 38% of the last 10 s"),
            (EventKinds.EgressBlocked, "blocked connection to 203.0.113.7:443 (egress policy)"),
        ];
        var (kind, message) = kinds[_random.Next(kinds.Length)];
        _events.Add(new TuiEvent(_nextEventId++, now, s.Id, s.Profile, kind, message, true));
    }

    private static int Run(string program, IEnumerable<string> args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })
            ?? throw new InvalidOperationException($"could not start {program}");
        process.WaitForExit();
        return process.ExitCode;
    }

    private static int RunBash(string label, string hostname)
    {
        var start = new ProcessStartInfo("/bin/bash", ["--norc", "--noprofile", "-i"]) { UseShellExecute = false };
        start.Environment["PS1"] = $"[fake {label}]$ ";
        start.Environment["HOSTNAME"] = hostname;
        start.Environment["DEVSHELL_FAKE_HOSTNAME"] = hostname;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/bash");
        process.WaitForExit();
        return process.ExitCode;
    }
}
