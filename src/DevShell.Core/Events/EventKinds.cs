namespace DevShell.Core.Events;

/// <summary>The values of <see cref="EventRecord.Kind"/>.</summary>
public static class EventKinds
{
    /// <summary>The kernel OOM killer killed a process in the env.</summary>
    public const string OomKill = "oom_kill";

    /// <summary>Memory usage hit limits.memory.</summary>
    public const string MemoryMax = "memory_max";

    /// <summary>A fork failed because of limits.pids.</summary>
    public const string PidsMax = "pids_max";

    /// <summary>The env was CPU-throttled by limits.cpu.</summary>
    public const string CpuThrottled = "cpu_throttled";

    /// <summary>An outbound connection was dropped by the egress policy.</summary>
    public const string EgressBlocked = "egress_blocked";

    /// <summary>Session started.</summary>
    public const string Started = "started";

    /// <summary>Session's shell or command exited.</summary>
    public const string Exited = "exited";

    /// <summary>Session failed to start or died abnormally.</summary>
    public const string Failed = "failed";

    /// <summary>Session stopped by the user.</summary>
    public const string Stopped = "stopped";

    /// <summary>An on_enter/on_exit hook failed.</summary>
    public const string HookFailed = "hook_failed";

    /// <summary>Garbage collection removed leftovers of a dead session.</summary>
    public const string Gc = "gc";

    /// <summary>Every kind above.</summary>
    public static IReadOnlyList<string> All { get; } =
        [OomKill, MemoryMax, PidsMax, CpuThrottled, EgressBlocked, Started, Exited, Failed, Stopped, HookFailed, Gc];
}
