namespace DevShell.Linux.Cgroups;

/// <summary>
/// The resource limits of one environment's cgroup. A null field leaves the kernel default (unlimited) in place.
/// Profiles are validated in DevShell.Core; <see cref="Validate"/> only guards against programming errors.
/// </summary>
/// <param name="MemoryBytes">Memory limit (v1 memory.limit_in_bytes, v2 memory.max).</param>
/// <param name="SwapBytes">
/// Swap allowed on top of the memory limit (v2 memory.swap.max; v1 memory.memsw.limit_in_bytes = memory + swap,
/// so on v1 it needs <paramref name="MemoryBytes"/>). Null leaves swap unrestricted; 0 forbids swapping.
/// </param>
/// <param name="CpuCores">CPU bandwidth in cores, e.g. 0.5 (a quota per 100 ms period).</param>
/// <param name="Pids">Maximum number of tasks (processes and threads).</param>
/// <param name="IoWeight">Relative IO weight on the cgroup v2 scale 1..10000 (default 100).</param>
public sealed record CgroupLimits(
    long? MemoryBytes = null,
    long? SwapBytes = null,
    double? CpuCores = null,
    int? Pids = null,
    int? IoWeight = null)
{
    /// <summary>The CFS period DevShell uses on both versions, in microseconds.</summary>
    public const int CpuPeriodMicros = 100_000;

    /// <summary>No limits at all (usage is still accounted).</summary>
    public static CgroupLimits None { get; } = new();

    /// <summary>The CFS quota for <see cref="CpuCores"/> in microseconds per <see cref="CpuPeriodMicros"/>.</summary>
    public long? CpuQuotaMicros =>
        CpuCores is { } cores ? Math.Max(1000, (long)Math.Round(cores * CpuPeriodMicros)) : null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values no kernel accepts.</summary>
    public void Validate()
    {
        if (MemoryBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "memory limit must be positive");
        }

        if (SwapBytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SwapBytes), SwapBytes, "swap limit must not be negative");
        }

        if (CpuCores is { } c && (!(c > 0) || double.IsInfinity(c)))
        {
            throw new ArgumentOutOfRangeException(nameof(CpuCores), CpuCores, "cpu cores must be positive");
        }

        if (Pids is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Pids), Pids, "pids limit must be positive");
        }

        if (IoWeight is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(IoWeight), IoWeight, "io weight must be 1..10000");
        }
    }

    /// <summary>Maps the v2 weight 1..10000 onto v1 blkio.weight 10..1000 (the mapping runc/crun use, inverted).</summary>
    public static int ToV1BlkioWeight(int v2Weight) => 10 + (int)((v2Weight - 1L) * 990 / 9999);

    /// <summary>Maps the v2 weight 1..10000 onto io.bfq.weight 1..1000.</summary>
    public static int ToBfqWeight(int v2Weight) => 1 + (int)((v2Weight - 1L) * 999 / 9999);
}
