namespace DevShell.Core.Presenters;

/// <summary>What the user can ask the TUI to do.</summary>
public enum TuiAction
{
    /// <summary>Open a shell in the selected profile, or attach a second shell to the selected env.</summary>
    Open,

    /// <summary>Move to the filter field.</summary>
    Filter,

    /// <summary>Clear the filter.</summary>
    ClearFilter,

    /// <summary>New profile.</summary>
    New,

    /// <summary>Edit the selected profile.</summary>
    Edit,

    /// <summary>Clone the selected profile.</summary>
    Clone,

    /// <summary>Delete the selected profile.</summary>
    Delete,

    /// <summary>Stop the selected env.</summary>
    Stop,

    /// <summary>Re-import the shipped presets.</summary>
    Import,

    /// <summary>Refresh everything now.</summary>
    Refresh,

    /// <summary>Show the keys.</summary>
    Help,

    /// <summary>Leave the TUI (running envs keep running).</summary>
    Quit,

    /// <summary>Focus the profiles pane.</summary>
    FocusProfiles,

    /// <summary>Focus the details pane.</summary>
    FocusDetails,

    /// <summary>Focus the running table.</summary>
    FocusRunning,

    /// <summary>Focus the events pane.</summary>
    FocusEvents,
}

/// <summary>One key of the help screen and status bar.</summary>
/// <param name="Key">The key as shown, e.g. "Enter", "n".</param>
/// <param name="Label">A one-word label for the status bar, e.g. "New".</param>
/// <param name="Description">What it does, for the help screen.</param>
/// <param name="Action">The action.</param>
/// <param name="InStatusBar">Shown in the status bar (the rest only in help).</param>
public sealed record KeyHelp(string Key, string Label, string Description, TuiAction Action, bool InStatusBar);

/// <summary>The TUI's keys: one table for the key handler, the status bar and the help screen.</summary>
public static class KeyMap
{
    /// <summary>Every key in help order.</summary>
    public static IReadOnlyList<KeyHelp> All { get; } =
    [
        new("Enter", "Open", "Open the profile's shell; on a running env, attach a second shell", TuiAction.Open, true),
        new("/", "Filter", "Filter profiles as you type (Enter: to the list, Esc: clear)", TuiAction.Filter, true),
        new("n", "New", "New profile", TuiAction.New, true),
        new("e", "Edit", "Edit the selected profile (F2 in the editor: JSON)", TuiAction.Edit, true),
        new("c", "Clone", "Clone the selected profile under a new name", TuiAction.Clone, false),
        new("d", "Del", "Delete the selected profile (also the Delete key)", TuiAction.Delete, false),
        new("s", "Stop", "Stop the selected running env", TuiAction.Stop, true),
        new("i", "Import", "Re-import the shipped presets (existing names are kept)", TuiAction.Import, false),
        new("r", "Refresh", "Refresh now", TuiAction.Refresh, false),
        new("Tab", "Pane", "Next pane (or 1 profiles, 2 details, 3 running, 4 events)", TuiAction.FocusProfiles, false),
        new("Esc", "Clear", "Clear the filter", TuiAction.ClearFilter, false),
        new("?", "Help", "This help (also F1)", TuiAction.Help, true),
        new("q", "Quit", "Quit the TUI, also Ctrl+C (envs started elsewhere keep running)", TuiAction.Quit, true),
    ];

    /// <summary>The action of a plain (unmodified) character key, or null when the character has none.</summary>
    public static TuiAction? ForCharacter(char c) => c switch
    {
        '/' => TuiAction.Filter,
        'n' => TuiAction.New,
        'e' => TuiAction.Edit,
        'c' => TuiAction.Clone,
        'd' => TuiAction.Delete,
        's' => TuiAction.Stop,
        'i' => TuiAction.Import,
        'r' => TuiAction.Refresh,
        '?' => TuiAction.Help,
        'q' => TuiAction.Quit,
        '1' => TuiAction.FocusProfiles,
        '2' => TuiAction.FocusDetails,
        '3' => TuiAction.FocusRunning,
        '4' => TuiAction.FocusEvents,
        _ => null,
    };

    /// <summary>The help screen text: one "key  description" line per key.</summary>
    public static string HelpText()
    {
        var width = All.Max(k => k.Key.Length) + 2;
        return string.Join('\n', All.Select(k => k.Key.PadRight(width) + k.Description));
    }
}
