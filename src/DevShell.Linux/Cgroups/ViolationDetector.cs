namespace DevShell.Linux.Cgroups;

/// <summary>The kinds of <see cref="Violation"/>, as they appear in reports and the event log.</summary>
public static class ViolationKind
{
    /// <summary>The OOM killer killed a process of the group.</summary>
    public const string OomKill = "oom_kill";

    /// <summary>Memory usage hit the limit (reclaim was forced; may precede an OOM kill).</summary>
    public const string MemoryMax = "memory_max";

    /// <summary>A fork/clone failed because of pids.max.</summary>
    public const string PidsMax = "pids_max";

    /// <summary>The group was throttled in a large share of CPU periods.</summary>
    public const string CpuThrottled = "cpu_throttled";
}

/// <summary>
/// One limit violation seen between two samples.
/// </summary>
/// <param name="Kind">One of <see cref="ViolationKind"/>.</param>
/// <param name="Value">
/// How many new events the interval had: OOM kills, limit hits, refused forks, or throttled periods.
/// </param>
/// <param name="Limit">The limit in force: bytes (memory), tasks (pids), millicores (cpu); null if unknown.</param>
public sealed record Violation(string Kind, long Value, long? Limit)
{
    /// <summary>For <see cref="ViolationKind.CpuThrottled"/>: the periods elapsed in the interval.</summary>
    public long? OutOf { get; init; }

    /// <summary>A line for people: "oom_kill: 1 process killed (memory limit 32 MiB)".</summary>
    public string Describe() => Kind switch
    {
        ViolationKind.OomKill => $"oom_kill: {Value} process{(Value == 1 ? "" : "es")} killed by the OOM killer{LimitText(" (memory limit ", ")")}",
        ViolationKind.MemoryMax => $"memory_max: memory limit{LimitText(" ", "")} reached {Value} time{(Value == 1 ? "" : "s")}",
        ViolationKind.PidsMax => $"pids_max: {Value} fork{(Value == 1 ? "" : "s")} refused{LimitText(" (pids limit ", ")")}",
        ViolationKind.CpuThrottled => $"cpu_throttled: throttled in {Value} of {OutOf} periods{LimitText(" (cpu limit ", ")")}",
        _ => $"{Kind}: {Value}",
    };

    private string LimitText(string before, string after) => Limit is not { } l
        ? ""
        : Kind switch
        {
            ViolationKind.OomKill or ViolationKind.MemoryMax => $"{before}{FormatBytes(l)}{after}",
            ViolationKind.CpuThrottled => $"{before}{l / 1000.0:0.###} cores{after}",
            _ => $"{before}{l}{after}",
        };

    private static string FormatBytes(long b) => b switch
    {
        >= 1L << 30 when b % (1L << 30) == 0 => $"{b >> 30} GiB",
        >= 1L << 20 when b % (1L << 20) == 0 => $"{b >> 20} MiB",
        >= 1L << 10 when b % (1L << 10) == 0 => $"{b >> 10} KiB",
        _ => $"{b} bytes",
    };
}

/// <summary>Tuning of <see cref="ViolationDetector"/>.</summary>
/// <param name="ThrottleFraction">
/// Report throttling when at least this share of the interval's CPU periods were throttled (default 10%).
/// </param>
/// <param name="MinThrottledPeriods">...and at least this many periods were (default 1).</param>
public sealed record ViolationOptions(double ThrottleFraction = 0.10, long MinThrottledPeriods = 1)
{
    public static ViolationOptions Default { get; } = new();
}

/// <summary>
/// Turns consecutive counter readings into violations. <see cref="Compare"/> is the pure rule;
/// <see cref="Observe"/> keeps the previous reading per session. The first reading of a session is its
/// baseline (counts already there are old news) unless the caller says the group is new, in which case the
/// baseline is zero. A counter that went down means the group was recreated: its value counts as new.
/// </summary>
public sealed class ViolationDetector
{
    private readonly Dictionary<string, CgroupUsage> _previous = new(StringComparer.Ordinal);

    public ViolationDetector(ViolationOptions? options = null)
    {
        Options = options ?? ViolationOptions.Default;
    }

    public ViolationOptions Options { get; }

    /// <summary>
    /// The violations between <paramref name="previous"/> and <paramref name="current"/>. A counter the
    /// previous reading lacks (null) is a baseline, not an event.
    /// </summary>
    public static IReadOnlyList<Violation> Compare(in CgroupUsage previous, in CgroupUsage current, ViolationOptions? options = null)
    {
        options ??= ViolationOptions.Default;
        List<Violation>? found = null;

        long oom = Delta(previous.OomKills, current.OomKills);
        if (oom > 0)
        {
            (found ??= []).Add(new Violation(ViolationKind.OomKill, oom, current.MemoryLimitBytes));
        }

        long memHits = Delta(previous.MemoryLimitHits, current.MemoryLimitHits);
        if (memHits > 0)
        {
            (found ??= []).Add(new Violation(ViolationKind.MemoryMax, memHits, current.MemoryLimitBytes));
        }

        long pidsHits = Delta(previous.PidsLimitHits, current.PidsLimitHits);
        if (pidsHits > 0)
        {
            (found ??= []).Add(new Violation(ViolationKind.PidsMax, pidsHits, current.PidsLimit));
        }

        long periods = Delta(previous.CpuPeriods, current.CpuPeriods);
        long throttled = Delta(previous.CpuThrottledPeriods, current.CpuThrottledPeriods);
        if (periods > 0 && throttled >= options.MinThrottledPeriods && throttled >= options.ThrottleFraction * periods)
        {
            (found ??= []).Add(new Violation(ViolationKind.CpuThrottled, throttled, current.CpuLimitMillicores) { OutOf = periods });
        }

        return found is null ? [] : found;
    }

    /// <summary>
    /// Compares <paramref name="usage"/> with the session's previous reading and remembers it. The first call
    /// for a session returns nothing unless <paramref name="groupIsNew"/>, which makes the baseline zero.
    /// </summary>
    public IReadOnlyList<Violation> Observe(string sessionId, in CgroupUsage usage, bool groupIsNew = false)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        IReadOnlyList<Violation> result;
        if (_previous.TryGetValue(sessionId, out CgroupUsage previous))
        {
            result = Compare(previous, usage, Options);
        }
        else
        {
            result = groupIsNew ? Compare(CgroupUsage.ZeroCounters, usage, Options) : [];
        }

        _previous[sessionId] = usage;
        return result;
    }

    /// <summary>Drops a session's baseline (it ended).</summary>
    public bool Forget(string sessionId) => _previous.Remove(sessionId);

    /// <summary>New events of one counter; a reset (current below previous) counts from zero.</summary>
    private static long Delta(long? previous, long? current)
    {
        if (previous is not { } p || current is not { } c)
        {
            return 0;
        }

        return c >= p ? c - p : c;
    }
}
