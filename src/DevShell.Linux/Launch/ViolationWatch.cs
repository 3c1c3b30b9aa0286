using DevShell.Linux.Cgroups;

namespace DevShell.Linux.Launch;

/// <summary>
/// Samples one running env's cgroup on the launcher's tick (every 250 ms) and records each violation the moment
/// it is seen (well inside the 1 s target). Keeps the last reading for the CI verdict (CPU time, memory peak).
/// </summary>
public sealed class ViolationWatch(ICgroupDriver driver, ISessionJournal journal, Func<IReadOnlyDictionary<string, long>>? dropCounters = null) : IDisposable
{
    private readonly UsageSampler _sampler = new();
    private bool _added;
    private long _dropped;

    public List<Violation> Violations { get; } = [];

    /// <summary>The caller writes a verdict from the last reading (CPU time, memory peak): <see cref="Final"/> always reads.</summary>
    public bool VerdictWanted { get; set; }
    public SessionSnapshot? Last { get; private set; }
    public long? MemoryPeakBytes { get; private set; }

    public void Tick(EnvContext env)
    {
        if (!_added)
        {
            var handle = driver.Open(env.SessionId);
            if (handle is null) return;
            _sampler.Add(env.SessionId, handle, env.Veth, groupIsNew: true);
            _added = true;
        }
        foreach (var snap in _sampler.Sample())
        {
            if (!snap.Alive) continue;
            Last = snap;
            if (snap.MemoryPeakBytes is long peak) MemoryPeakBytes = Math.Max(MemoryPeakBytes ?? 0, peak);
            else if (snap.MemoryCurrentBytes is long cur) MemoryPeakBytes = Math.Max(MemoryPeakBytes ?? 0, cur);
            foreach (var v in snap.Violations) Report(env, v);
        }
        if (env.Veth is not null && dropCounters is not null && dropCounters().TryGetValue(env.SessionId, out long dropped) && dropped > _dropped)
        {
            // The env's drop counter in the nft table rose: its egress policy blocked traffic.
            Report(env, new Violation(EgressBlockedKind, dropped - _dropped, null));
            _dropped = dropped;
        }
    }

    /// <summary>
    /// The reading after the command exited, before the teardown: the counters of its final moments. Skipped when
    /// nothing in it can matter (~0.5 ms of every such `devshell run`): no verdict is wanted, the profile sets no
    /// memory, CPU or pids limit (there is nothing to violate) and the env has no veth (no egress policy drops).
    /// </summary>
    public void Final(EnvContext env)
    {
        var limits = env.Profile.Limits;
        if (VerdictWanted || env.Veth is not null || limits.Memory is not null || limits.Cpu is not null || limits.Pids is not null) Tick(env);
    }

    public const string EgressBlockedKind = "egress_blocked";

    private void Report(EnvContext env, Violation v)
    {
        Violations.Add(v);
        string message = v.Kind == EgressBlockedKind ? $"egress policy dropped {v.Value} packet(s)" : v.Describe();
        journal.Record(env.SessionId, env.Profile.Name, v.Kind, message, v.Value, v.Limit);
    }

    public void Dispose() => _sampler.Dispose();
}
