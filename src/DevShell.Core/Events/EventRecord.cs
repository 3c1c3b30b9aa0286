namespace DevShell.Core.Events;

/// <summary>
/// Something that happened to a session (a violation, a lifecycle step). Ids increase in commit order across
/// processes, so `events --follow` polls with the last id it saw.
/// </summary>
public sealed class EventRecord
{
    /// <summary>Assigned by the store on append (0 before).</summary>
    public long Id { get; set; }

    /// <summary>When it happened (UTC); the store fills it if left default.</summary>
    public DateTime Time { get; set; }

    /// <summary>The session it belongs to, if any.</summary>
    public string? SessionId { get; set; }

    /// <summary>The profile it belongs to, if any.</summary>
    public string? Profile { get; set; }

    /// <summary>One of <see cref="EventKinds"/>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Measured value, e.g. bytes used or pids count.</summary>
    public long? Value { get; set; }

    /// <summary>The limit it was measured against.</summary>
    public long? Limit { get; set; }

    /// <summary>Human-readable detail.</summary>
    public string? Message { get; set; }
}
