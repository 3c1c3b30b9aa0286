using System.Diagnostics;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// One session's reading from <see cref="UsageSampler.Sample(TimeSpan)"/>. When <see cref="Alive"/> is false
/// the group is gone and only <see cref="SessionId"/> and <see cref="At"/> mean anything.
/// </summary>
/// <param name="SessionId">The id the session was added under.</param>
/// <param name="At">The sampler's clock at this reading.</param>
/// <param name="Alive">False when the group could not be read (the environment ended).</param>
/// <param name="CpuPercent">CPU used since the previous reading, in percent of one core (null on the first).</param>
/// <param name="Usage">The raw reading (memory, pids, io, counters).</param>
/// <param name="NetRxBytes">Bytes received on the session's interface (null without one, or if it is gone).</param>
/// <param name="NetTxBytes">Bytes sent on the session's interface.</param>
/// <param name="Violations">Limit violations since the previous reading.</param>
public sealed record SessionSnapshot(
    string SessionId,
    TimeSpan At,
    bool Alive,
    double? CpuPercent,
    CgroupUsage Usage,
    long? NetRxBytes,
    long? NetTxBytes,
    IReadOnlyList<Violation> Violations)
{
    public long? MemoryCurrentBytes => Usage.MemoryCurrentBytes;

    public long? MemoryPeakBytes => Usage.MemoryPeakBytes;

    public long? MemoryLimitBytes => Usage.MemoryLimitBytes;

    public long? PidsCurrent => Usage.PidsCurrent;

    public long? PidsLimit => Usage.PidsLimit;

    public long? IoBytes => Usage.IoBytes;
}

/// <summary>
/// Samples the usage of many sessions, e.g. once a second for the TUI. Each session keeps its cgroup files and
/// its interface's rx_bytes/tx_bytes open, so a sample is a handful of preads per session with no opens, no
/// LINQ and no regex. Not thread-safe: call from one thread (the UI timer), or lock around it.
/// </summary>
public sealed class UsageSampler : IDisposable
{
    private readonly string _sysRoot;
    private readonly ViolationDetector _detector;
    private readonly List<Session> _sessions = [];
    private readonly Dictionary<string, Session> _byId = new(StringComparer.Ordinal);
    private readonly byte[] _netBuffer = new byte[64];

    /// <param name="sysRoot">Where sysfs is mounted (net statistics are under &lt;sysRoot&gt;/class/net).</param>
    /// <param name="detector">Violation rules; a default detector when null.</param>
    public UsageSampler(string sysRoot = "/sys", ViolationDetector? detector = null)
    {
        _sysRoot = sysRoot;
        _detector = detector ?? new ViolationDetector();
    }

    public int Count => _sessions.Count;

    /// <summary>
    /// Starts sampling a session. <paramref name="netInterface"/> is the host-side interface (e.g. the veth)
    /// whose traffic is the session's. With <paramref name="groupIsNew"/> counters already non-zero at the first
    /// sample are reported as violations (the group was created for this session).
    /// </summary>
    public void Add(string sessionId, CgroupHandle handle, string? netInterface = null, bool groupIsNew = false)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(handle);
        if (_byId.ContainsKey(sessionId))
        {
            throw new ArgumentException($"session \"{sessionId}\" is already being sampled", nameof(sessionId));
        }

        string? rx = null, tx = null;
        if (netInterface is not null)
        {
            string stats = Path.Join(_sysRoot, "class", "net", netInterface, "statistics");
            rx = Path.Join(stats, "rx_bytes");
            tx = Path.Join(stats, "tx_bytes");
        }

        var session = new Session(sessionId, CgroupUsageReader.Open(handle, keepOpen: true), rx, tx, groupIsNew);
        _sessions.Add(session);
        _byId.Add(sessionId, session);
    }

    /// <summary>Stops sampling a session and closes its files.</summary>
    public bool Remove(string sessionId)
    {
        if (!_byId.Remove(sessionId, out Session? session))
        {
            return false;
        }

        _sessions.Remove(session);
        _detector.Forget(sessionId);
        session.Dispose();
        return true;
    }

    /// <summary>Samples every session at the monotonic clock's current time.</summary>
    public IReadOnlyList<SessionSnapshot> Sample() => Sample(Stopwatch.GetElapsedTime(0));

    /// <summary>
    /// Samples every session. <paramref name="now"/> is a monotonic time (e.g. Stopwatch elapsed); CPU % is the
    /// CPU time used since the previous sample divided by the time between the two.
    /// </summary>
    public IReadOnlyList<SessionSnapshot> Sample(TimeSpan now)
    {
        var result = new SessionSnapshot[_sessions.Count];
        for (int i = 0; i < _sessions.Count; i++)
        {
            result[i] = SampleOne(_sessions[i], now);
        }

        return result;
    }

    public void Dispose()
    {
        foreach (Session s in _sessions)
        {
            s.Dispose();
        }

        _sessions.Clear();
        _byId.Clear();
    }

    private SessionSnapshot SampleOne(Session s, TimeSpan now)
    {
        if (!s.Reader.TryRead(out CgroupUsage usage))
        {
            return new SessionSnapshot(s.Id, now, false, null, default, null, null, []);
        }

        double? cpuPercent = null;
        if (s.LastCpuNs is { } lastCpu && usage.CpuUsageNs is { } cpu && now > s.LastAt)
        {
            double wallNs = (now - s.LastAt).Ticks * 100.0;
            cpuPercent = Math.Max(0, cpu - lastCpu) / wallNs * 100.0;
        }

        s.LastCpuNs = usage.CpuUsageNs;
        s.LastAt = now;

        IReadOnlyList<Violation> violations = _detector.Observe(s.Id, usage, s.GroupIsNew);
        long? rx = ReadNet(ref s.RxFd, s.RxPath);
        long? tx = ReadNet(ref s.TxFd, s.TxPath);
        return new SessionSnapshot(s.Id, now, true, cpuPercent, usage, rx, tx, violations);
    }

    private long? ReadNet(ref int fd, string? path)
    {
        if (path is null)
        {
            return null;
        }

        if (fd < 0)
        {
            // The interface may appear after the session was added (the launcher creates it); retry until it does.
            fd = Sys.TryOpen(path, LibC.O_RDONLY, out _);
            if (fd < 0)
            {
                return null;
            }
        }

        int n = Sys.TryPread(fd, _netBuffer, 0, out _);
        if (n <= 0)
        {
            // ENODEV: the interface was deleted. Close and reopen next time (a new one may take the name).
            Sys.Close(fd);
            fd = -1;
            return null;
        }

        return CgroupText.ParseSingle(_netBuffer.AsSpan(0, n));
    }

    private sealed class Session(string id, CgroupUsageReader reader, string? rxPath, string? txPath, bool groupIsNew) : IDisposable
    {
        // Fields, not properties, so ReadNet can take them by ref.
        public int RxFd = -1;
        public int TxFd = -1;

        public string Id { get; } = id;

        public CgroupUsageReader Reader { get; } = reader;

        public string? RxPath { get; } = rxPath;

        public string? TxPath { get; } = txPath;

        public bool GroupIsNew { get; } = groupIsNew;

        public long? LastCpuNs { get; set; }

        public TimeSpan LastAt { get; set; }

        public void Dispose()
        {
            Reader.Dispose();
            Sys.Close(RxFd);
            Sys.Close(TxFd);
            RxFd = TxFd = -1;
        }
    }
}
