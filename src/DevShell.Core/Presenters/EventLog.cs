namespace DevShell.Core.Presenters;

/// <summary>
/// The events the TUI has received, newest first, at most <see cref="Capacity"/>. Remembers when each one
/// arrived so a violation can be highlighted for a while from the moment the TUI learns of it, whatever the
/// clock of the machine that recorded it says. Not thread-safe: used on the UI thread.
/// </summary>
public sealed class EventLog
{
    private readonly LinkedList<LoggedEvent> _events = new();
    private readonly HashSet<long> _ids = [];

    /// <summary>Creates a log keeping the newest <paramref name="capacity"/> events.</summary>
    public EventLog(int capacity = 500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most events kept.</summary>
    public int Capacity { get; }

    /// <summary>Highest event id received; the TUI asks the backend for events after it.</summary>
    public long LastId { get; private set; }

    /// <summary>Events newest first.</summary>
    public IReadOnlyList<LoggedEvent> NewestFirst => _events.ToList();

    /// <summary>Number of events kept.</summary>
    public int Count => _events.Count;

    /// <summary>Changes every time events are added (the pane redraws its lines only then, or when a highlight ends).</summary>
    public long Version { get; private set; }

    /// <summary>
    /// Adds events that arrived at <paramref name="arrivedAt"/>; events already seen (same id) are ignored.
    /// Pass <see cref="DateTimeOffset.MinValue"/> for history (events from before the viewer started), which is never fresh.
    /// Returns how many new violations were added.
    /// </summary>
    public int Add(IEnumerable<TuiEvent> events, DateTimeOffset arrivedAt)
    {
        ArgumentNullException.ThrowIfNull(events);
        var violations = 0;
        foreach (var e in events.OrderBy(e => e.Id))
        {
            if (!_ids.Add(e.Id))
            {
                continue;
            }

            _events.AddFirst(new LoggedEvent(e, arrivedAt));
            Version++;
            LastId = Math.Max(LastId, e.Id);
            if (e.IsViolation)
            {
                violations++;
            }

            if (_events.Count > Capacity)
            {
                _ids.Remove(_events.Last!.Value.Event.Id);
                _events.RemoveLast();
            }
        }

        return violations;
    }

    /// <summary>Violations that arrived within <paramref name="window"/> before <paramref name="now"/>.</summary>
    public IReadOnlyList<TuiEvent> FreshViolations(DateTimeOffset now, TimeSpan window) =>
        _events.Where(e => e.Event.IsViolation && IsFresh(e, now, window)).Select(e => e.Event).ToList();

    /// <summary>Sessions with a violation that arrived within <paramref name="window"/> before <paramref name="now"/>.</summary>
    public IReadOnlySet<string> SessionsWithFreshViolations(DateTimeOffset now, TimeSpan window) =>
        FreshViolations(now, window).Where(e => e.SessionId is not null).Select(e => e.SessionId!).ToHashSet(StringComparer.Ordinal);

    internal static bool IsFresh(LoggedEvent e, DateTimeOffset now, TimeSpan window) =>
        now - e.ArrivedAt < window && now >= e.ArrivedAt;
}

/// <summary>An event and when the TUI received it.</summary>
public sealed record LoggedEvent(TuiEvent Event, DateTimeOffset ArrivedAt);
