using DevShell.Core.Events;

namespace DevShell.Core.Sessions;

/// <summary>
/// What a launcher learns about its session at one moment, as data: the new record, the env running (its PID 1 and
/// kernel objects), its end, events. The store applies it at once (<see cref="Storage.DevShellStore.Apply"/>) or, off the
/// launch's critical path, through the outbox (<see cref="Storage.StoreOutbox"/>) in the next unit of work of any process.
/// Both go through <see cref="ApplyTo"/>, so a deferred change means exactly what a direct one does.
/// </summary>
public sealed class SessionChange
{
    /// <summary>The session changed.</summary>
    public required string SessionId { get; init; }

    /// <summary>
    /// Orders the changes of one session (1, 2, ...): the outbox applies them in this order, and a session record remembers
    /// the last one applied (<see cref="SessionRecord.OutboxSeq"/>). 0: not ordered (a direct write).
    /// </summary>
    public int Seq { get; init; }

    /// <summary>
    /// The session as it started: recorded unless one with its id exists. A Starting record carries it, and so does an
    /// end, so that a launch whose Starting record was rolled back (its store unit failed) is still recorded as failed.
    /// </summary>
    public SessionRecord? Add { get; init; }

    /// <summary>The env is running: its PID 1 and kernel objects.</summary>
    public RunningFacts? Running { get; init; }

    /// <summary>The env ended.</summary>
    public EndFacts? Ended { get; init; }

    /// <summary>Events appended in order, after the record changed.</summary>
    public List<EventRecord> Events { get; init; } = [];

    /// <summary>Release the session's IP lease (its address is free for the next env).</summary>
    public bool ReleaseIp { get; init; }

    /// <summary>Applies the change to a record (the store reads it, calls this, writes it back).</summary>
    public void ApplyTo(SessionRecord s)
    {
        if (Running is { } r)
        {
            if (s.EndedAt is null) s.State = SessionState.Running; // not over a stop that came first
            s.InitPid = r.InitPid;
            s.InitStartTicks = r.InitStartTicks;
            s.CgroupPaths = new Dictionary<string, string>(r.CgroupPaths, StringComparer.Ordinal);
            s.NetnsPath = r.NetnsPath;
            s.Veth = r.Veth;
            s.Ip = r.Ip;
        }

        if (Ended is { } e)
        {
            s.ExitCode = e.ExitCode;
            if (e.ExitCode > 128) s.Signal = e.ExitCode - 128;
            // `devshell stop` got there first (its kill is why the env ended): the session stays stopped, as of then.
            if (s.State == SessionState.Stopped && s.EndedAt is not null) return;
            s.State = e.State;
            s.EndedAt = e.At;
        }
    }
}

/// <summary>The env is running: PID 1 (with its start time, to tell it from a reused pid) and what the parts made.</summary>
public sealed record RunningFacts(int InitPid, long? InitStartTicks, IReadOnlyDictionary<string, string> CgroupPaths, string? NetnsPath, string? Veth, string? Ip);

/// <summary>The env ended: how (exited, failed, stopped), its exit code if it had one (128+n for a signal), and when.</summary>
public sealed record EndFacts(SessionState State, int? ExitCode, DateTime At);
