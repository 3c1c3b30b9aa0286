using DevShell.Linux.Cgroups;

namespace DevShell.Linux.Launch;

/// <summary>
/// Samples one running env's cgroup on the launcher's tick (every 250 ms) and records each violation the moment
/// it is seen (well inside the 1 s target). Keeps the last reading for the CI verdict (CPU time, memory peak).
/// </summary>
public sealed class ViolationWatch(ICgroupDriver driver, ISessionJournal journal) : IDisposable
{
    private readonly UsageSampler _sampler = new();
    private bool _added;

    public List<Violation> Violations { get; } = [];
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
            foreach (var v in snap.Violations)
            {
                Violations.Add(v);
                journal.Record(env.SessionId, env.Profile.Name, v.Kind, v.Describe(), v.Value, v.Limit);
            }
        }
    }

    public void Dispose() => _sampler.Dispose();
}
