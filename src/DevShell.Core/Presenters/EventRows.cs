using DevShell.Core.Events;

namespace DevShell.Core.Presenters;

/// <summary>How an event line is drawn.</summary>
public enum EventStyle
{
    /// <summary>A lifecycle event: normal colours.</summary>
    Lifecycle,

    /// <summary>A violation seen a while ago: warning colour.</summary>
    Violation,

    /// <summary>A violation that has just arrived: drawn to catch the eye (inverse warning colour).</summary>
    FreshViolation,
}

/// <summary>One line of the events pane.</summary>
public sealed record EventRow(long Id, string Text, EventStyle Style);

/// <summary>Turns the event log into the lines of the events pane.</summary>
public static class EventRows
{
    /// <summary>How long a new violation stays highlighted.</summary>
    public static readonly TimeSpan HighlightFor = TimeSpan.FromSeconds(10);

    /// <summary>Width of the kind column.</summary>
    public const int KindWidth = 8;

    /// <summary>
    /// Lines newest first: "14:03:27 ⚠ OOM      orders-api  python3 killed: memory limit 256M reached".
    /// Violations carry a ⚠ mark so they stand out without colour (NO_COLOR); lifecycle events a "·".
    /// </summary>
    public static IReadOnlyList<EventRow> Build(EventLog log, DateTimeOffset now, TimeSpan localOffset)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.NewestFirst.Select(e => Row(e, now, localOffset)).ToList();
    }

    /// <summary>
    /// What <see cref="Build"/> and <see cref="Title"/> depend on besides the log's content: equal keys mean equal lines
    /// and title, so the pane rebuilds them only when the key changes (new events, a highlight starting or ending,
    /// a new local day that changes how times are written) instead of on every refresh.
    /// </summary>
    public static RenderKey KeyFor(EventLog log, DateTimeOffset now, TimeSpan localOffset)
    {
        ArgumentNullException.ThrowIfNull(log);
        var fresh = log.FreshViolations(now, HighlightFor);
        var freshIds = fresh.Count == 0 ? "" : string.Join(",", fresh.Select(e => e.Id));
        return new RenderKey(log.Version, now.ToOffset(localOffset).Date, freshIds);
    }

    /// <summary>See <see cref="KeyFor"/>.</summary>
    public readonly record struct RenderKey(long LogVersion, DateTime LocalDay, string FreshIds);

    /// <summary>The line for one logged event.</summary>
    public static EventRow Row(LoggedEvent logged, DateTimeOffset now, TimeSpan localOffset)
    {
        ArgumentNullException.ThrowIfNull(logged);
        var e = logged.Event;
        var style = !e.IsViolation ? EventStyle.Lifecycle
            : EventLog.IsFresh(logged, now, HighlightFor) ? EventStyle.FreshViolation
            : EventStyle.Violation;
        var mark = e.IsViolation ? "⚠" : "·";
        var kind = KindLabel(e.Kind).PadRight(KindWidth);
        var who = TuiFormat.Clean(e.Profile ?? e.SessionId ?? "");
        var text = $"{TuiFormat.ClockTime(e.Time, now, localOffset)} {mark} {kind} {who}{(who.Length > 0 ? "  " : "")}{TuiFormat.Clean(e.Message)}";
        return new EventRow(e.Id, text, style);
    }

    /// <summary>
    /// A short label for a kind: the known kinds of <see cref="EventKinds"/> get a word ("oom_kill" → "OOM",
    /// "cpu_throttled" → "THROTTLE"); others are cleaned, upper-cased and cut to <see cref="KindWidth"/> characters.
    /// </summary>
    public static string KindLabel(string? kind) => kind switch
    {
        EventKinds.OomKill => "OOM",
        EventKinds.MemoryMax => "MEM MAX",
        EventKinds.PidsMax => "PIDS MAX",
        EventKinds.CpuThrottled => "THROTTLE",
        EventKinds.EgressBlocked => "EGRESS",
        EventKinds.Started => "START",
        EventKinds.Exited => "EXIT",
        EventKinds.Failed => "FAILED",
        EventKinds.Stopped => "STOP",
        EventKinds.HookFailed => "HOOK",
        EventKinds.Gc => "GC",
        _ => TuiFormat.Truncate(TuiFormat.Clean(kind).Replace('_', ' ').ToUpperInvariant(), KindWidth),
    };

    /// <summary>The events pane title: "Events", or "Events ⚠ 2 new violations" while some are fresh.</summary>
    public static string Title(EventLog log, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(log);
        var fresh = log.FreshViolations(now, HighlightFor).Count;
        return fresh switch
        {
            0 => "Events",
            1 => "Events ⚠ 1 new violation",
            _ => $"Events ⚠ {fresh} new violations",
        };
    }
}
