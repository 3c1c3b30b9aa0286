using DevShell.Core.Presenters;
using DevShell.Core.Profiles;

namespace DevShell.Tui;

/// <summary>
/// What the TUI remembers while it hands the terminal to a shell and comes back: the data last received, the
/// usage history behind the sparklines, the event log, the filter and the selections, and a message to show.
/// Used on the UI thread only.
/// </summary>
internal sealed class TuiState
{
    public IReadOnlyList<Profile> Profiles { get; set; } = [];

    public IReadOnlyList<TuiSession> Sessions { get; set; } = [];

    public UsageHistory Usage { get; } = new();

    public EventLog Events { get; } = new();

    /// <summary>True once the events from before the TUI started have been read (later ones are highlighted when they arrive).</summary>
    public bool EventHistoryLoaded { get; set; }

    public string Filter { get; set; } = "";

    public string? SelectedProfile { get; set; }

    /// <summary>The pane that had the focus when the TUI left for a shell (1 profiles … 4 events).</summary>
    public int FocusedPane { get; set; } = 1;

    public string? LastError { get; set; }

    /// <summary>Shown in the status line, e.g. "shell in orders-api exited with 0".</summary>
    public string? Message { get; set; }

    /// <summary>An error to show in a dialog as soon as the main window is up again (a failed launch).</summary>
    public string? PendingErrorDialog { get; set; }

    /// <summary>How many envs run per profile.</summary>
    public IReadOnlyDictionary<string, int> RunningCounts() =>
        Sessions.GroupBy(s => s.Profile, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>A request to leave the UI and run a shell: a new env of a profile, or a second shell in a running env.</summary>
internal sealed record ShellRequest(bool Attach, string Target);
