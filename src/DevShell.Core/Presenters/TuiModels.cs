namespace DevShell.Core.Presenters;

/// <summary>A running (or just-ended) environment as the TUI shows it; one row of the running table.</summary>
/// <param name="Id">Session id, unique while the session lives (e.g. "orders-api-3f2a").</param>
/// <param name="Profile">Name of the profile the env was started from.</param>
/// <param name="State">Lifecycle state as text, e.g. "running", "stopping".</param>
/// <param name="Ip">IPv4 address of the env on the DevShell bridge, or null without bridged networking.</param>
/// <param name="StartedAt">When the env started.</param>
/// <param name="MemoryLimitBytes">Memory limit in bytes, or null when unlimited.</param>
/// <param name="PidsLimit">Pids limit, or null when unlimited.</param>
/// <param name="CpuLimitCores">CPU limit in cores (1.5 = one and a half cores), or null when unlimited.</param>
public sealed record TuiSession(
    string Id,
    string Profile,
    string State,
    string? Ip,
    DateTimeOffset StartedAt,
    long? MemoryLimitBytes,
    int? PidsLimit,
    double? CpuLimitCores);

/// <summary>A lifecycle event or a limit violation of an env.</summary>
/// <param name="Id">Increasing id; the TUI asks for events after the last id it has seen.</param>
/// <param name="Time">When it happened.</param>
/// <param name="SessionId">The session it belongs to, or null for events not tied to one.</param>
/// <param name="Profile">The profile of that session, or null.</param>
/// <param name="Kind">One of <see cref="Events.EventKinds"/>: violations "oom_kill", "memory_max", "pids_max", "cpu_throttled", "egress_blocked"; lifecycle "started", "exited", "stopped", ….</param>
/// <param name="Message">One line for people, e.g. "python3 killed: memory limit 256M reached".</param>
/// <param name="IsViolation">True for a limit or policy violation (highlighted), false for lifecycle events.</param>
public sealed record TuiEvent(
    long Id,
    DateTimeOffset Time,
    string? SessionId,
    string? Profile,
    string Kind,
    string Message,
    bool IsViolation);

/// <summary>One usage sample of a session.</summary>
/// <param name="CpuPercent">CPU use over the last interval in percent of one core (200 = two cores busy), like top.</param>
/// <param name="MemoryBytes">Memory in use now.</param>
/// <param name="MemoryPeakBytes">Highest memory use seen.</param>
/// <param name="Pids">Processes and threads in the env now.</param>
/// <param name="NetRxBytes">Bytes received by the env since it started (a counter; the TUI derives rates).</param>
/// <param name="NetTxBytes">Bytes sent by the env since it started (a counter).</param>
public sealed record TuiUsage(
    double CpuPercent,
    long MemoryBytes,
    long MemoryPeakBytes,
    int Pids,
    long NetRxBytes,
    long NetTxBytes);
