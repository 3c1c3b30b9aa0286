namespace DevShell.Core.Presenters;

/// <summary>
/// The recent usage samples of every live session: the series behind the sparklines and the rates derived
/// from counters. Keeps at most <see cref="Capacity"/> samples per session and forgets sessions that are gone.
/// Not thread-safe: the TUI records and reads it on its UI thread.
/// </summary>
public sealed class UsageHistory
{
    private readonly Dictionary<string, Series> _sessions = new(StringComparer.Ordinal);

    /// <summary>Creates a history keeping <paramref name="capacity"/> samples per session (at least 2).</summary>
    public UsageHistory(int capacity = 120)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        Capacity = capacity;
    }

    /// <summary>Most samples kept per session.</summary>
    public int Capacity { get; }

    /// <summary>Sessions with at least one sample.</summary>
    public int Count => _sessions.Count;

    /// <summary>
    /// Adds one sample per session in <paramref name="usage"/> taken at <paramref name="at"/>, and drops the history of
    /// every session not in <paramref name="liveSessionIds"/>. A session that is live but was not sampled this time
    /// keeps its history unchanged (a sampler may miss a tick).
    /// </summary>
    public void Record(DateTimeOffset at, IReadOnlyDictionary<string, TuiUsage> usage, IEnumerable<string> liveSessionIds)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(liveSessionIds);
        var live = new HashSet<string>(liveSessionIds, StringComparer.Ordinal);
        foreach (var gone in _sessions.Keys.Where(id => !live.Contains(id)).ToList())
        {
            _sessions.Remove(gone);
        }

        foreach (var (id, sample) in usage)
        {
            if (!live.Contains(id))
            {
                continue;
            }

            if (!_sessions.TryGetValue(id, out var series))
            {
                series = new Series(Capacity);
                _sessions.Add(id, series);
            }

            series.Add(at, sample);
        }
    }

    /// <summary>What is known about <paramref name="sessionId"/>, or null when it has no samples yet.</summary>
    public SessionUsage? Get(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var series) ? series.Snapshot() : null;

    private sealed class Series(int capacity)
    {
        private readonly Queue<double> _cpu = new(capacity);
        private readonly Queue<double> _memory = new(capacity);
        private DateTimeOffset _lastAt;
        private TuiUsage? _last;
        private double? _rxRate;
        private double? _txRate;

        public void Add(DateTimeOffset at, TuiUsage sample)
        {
            if (_last is not null)
            {
                var seconds = (at - _lastAt).TotalSeconds;
                if (seconds <= 0)
                {
                    return; // same or older sample: ignore rather than divide by zero
                }

                _rxRate = RateOf(_last.NetRxBytes, sample.NetRxBytes, seconds);
                _txRate = RateOf(_last.NetTxBytes, sample.NetTxBytes, seconds);
            }

            Push(_cpu, sample.CpuPercent, capacity);
            Push(_memory, sample.MemoryBytes, capacity);
            _last = sample;
            _lastAt = at;
        }

        public SessionUsage Snapshot() => new(_last!, _cpu.ToArray(), _memory.ToArray(), _rxRate, _txRate);

        private static void Push(Queue<double> queue, double value, int capacity)
        {
            if (queue.Count == capacity)
            {
                queue.Dequeue();
            }

            queue.Enqueue(value);
        }

        // A counter that went down was reset (interface re-created): no rate for this interval.
        private static double? RateOf(long before, long after, double seconds) =>
            after >= before ? (after - before) / seconds : null;
    }
}

/// <summary>The latest sample of a session, its recent series (oldest first) and its network rates.</summary>
/// <param name="Latest">The newest sample.</param>
/// <param name="CpuPercent">Recent CPU percentages, oldest first.</param>
/// <param name="MemoryBytes">Recent memory use, oldest first.</param>
/// <param name="RxBytesPerSecond">Receive rate over the last interval; null until two samples exist or after a counter reset.</param>
/// <param name="TxBytesPerSecond">Send rate over the last interval; null like <paramref name="RxBytesPerSecond"/>.</param>
public sealed record SessionUsage(
    TuiUsage Latest,
    IReadOnlyList<double> CpuPercent,
    IReadOnlyList<double> MemoryBytes,
    double? RxBytesPerSecond,
    double? TxBytesPerSecond);
