using DevShell.Core.Presenters;
using DevShell.Core.Profiles;

namespace DevShell.Tui;

/// <summary>
/// Everything the TUI needs from the store and the engine. The executable implements it (composition root);
/// the TUI holds no store or engine code. The records <see cref="TuiSession"/>, <see cref="TuiEvent"/> and
/// <see cref="TuiUsage"/> live in DevShell.Core.Presenters so the pure presenters can use them.
/// </summary>
/// <remarks>
/// Threading: <see cref="ListProfiles"/>, <see cref="ListSessions"/>, <see cref="EventsSince"/> and
/// <see cref="SampleUsage"/> are called about once a second from a background thread, and the profile and session
/// actions from background threads too (never the UI thread). The TUI never makes two calls at the same time
/// (it holds one lock around every call), so an implementation need not be thread-safe, only callable from any thread.
/// <see cref="OpenShell"/> and <see cref="AttachShell"/> are called on the main thread after the TUI has left the
/// terminal (Terminal.Gui shut down, termios restored) and the TUI comes back when they return.
/// Cost: the refresh calls run every second for as long as the TUI is up, so an implementation should make an idle call
/// cheap — e.g. hand back the same list instance while nothing changed (the TUI then skips rebuilding that pane; see
/// <see cref="FileChangeWatch"/> and <see cref="ChangeGatedValue{T}"/>) and return no events without a query.
/// </remarks>
public interface ITuiBackend
{
    /// <summary>Every stored profile.</summary>
    IReadOnlyList<Profile> ListProfiles();

    /// <summary>
    /// Stores a new (<paramref name="isNew"/>) or edited profile. Throws
    /// <see cref="Core.Validation.DevShellInputException"/> (with <c>Errors</c>) on invalid input, or another exception
    /// whose message a user can read on a conflict (name taken, changed meanwhile).
    /// </summary>
    void SaveProfile(Profile profile, bool isNew);

    /// <summary>Deletes a profile.</summary>
    void DeleteProfile(string name);

    /// <summary>Re-imports the shipped presets; existing names are skipped.</summary>
    void ImportPresets();

    /// <summary>The envs that are running now.</summary>
    IReadOnlyList<TuiSession> ListSessions();

    /// <summary>At most <paramref name="max"/> events with an id greater than <paramref name="afterId"/>, oldest first.</summary>
    IReadOnlyList<TuiEvent> EventsSince(long afterId, int max);

    /// <summary>One usage sample per running session, by session id. Called off the UI thread.</summary>
    IReadOnlyDictionary<string, TuiUsage> SampleUsage();

    /// <summary>BLOCKING: runs the interactive shell of an env of <paramref name="profile"/> on the real terminal; returns its exit code.</summary>
    int OpenShell(string profile);

    /// <summary>BLOCKING: runs a second shell inside the running env <paramref name="sessionId"/>; returns its exit code.</summary>
    int AttachShell(string sessionId);

    /// <summary>Stops a running env.</summary>
    void StopSession(string sessionId);
}
