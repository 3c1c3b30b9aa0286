using DevShell.Core.Presenters;
using DevShell.Core.Profiles;

namespace DevShell.Tui;

/// <summary>What one refresh tick collected from the backend, off the UI thread.</summary>
/// <param name="At">When the tick collected it.</param>
/// <param name="Profiles">All profiles, or null when listing them failed.</param>
/// <param name="Sessions">Running sessions (empty when listing failed).</param>
/// <param name="Usage">One usage sample per session (empty when sampling failed).</param>
/// <param name="Events">New events, oldest first.</param>
/// <param name="Error">What failed, for the status line; null when everything worked.</param>
internal sealed record TuiSnapshot(
    DateTimeOffset At,
    IReadOnlyList<Profile>? Profiles,
    IReadOnlyList<TuiSession>? Sessions,
    IReadOnlyDictionary<string, TuiUsage> Usage,
    IReadOnlyList<TuiEvent> Events,
    string? Error);

/// <summary>
/// The TUI's heartbeat: every period, on a thread-pool thread, asks the backend for profiles, sessions, usage and new
/// events, then hands the snapshot to <c>post</c> (which applies it on the UI thread via <c>app.Invoke</c>).
/// A tick that would overlap the previous one — still collecting, or its snapshot not yet applied by the UI —
/// is dropped rather than queued (as k9s does), so a slow backend or a busy UI never builds a backlog.
/// </summary>
internal sealed class RefreshLoop : IDisposable
{
    /// <summary>Most events fetched per tick; the rest come on the next ticks.</summary>
    public const int MaxEventsPerTick = 200;

    private readonly ITuiBackend _backend;
    private readonly Action<TuiSnapshot, Action> _post;
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;
    private readonly ManualResetEventSlim _notCollecting = new(initialState: true);
    private ITimer? _timer;
    private int _busy;
    private long _afterEventId;
    private long _completed;
    private long _dropped;
    private volatile bool _disposed;

    /// <param name="backend">Where the data comes from (already serialized).</param>
    /// <param name="afterEventId">The last event id already shown; the first tick asks for events after it.</param>
    /// <param name="post">
    /// Applies a snapshot on the UI thread and then calls the given completion action (also when applying fails),
    /// which lets the next tick run.
    /// </param>
    /// <param name="period">Time between ticks (1 s in the TUI).</param>
    /// <param name="time">Clock and timers; the system's by default.</param>
    public RefreshLoop(ITuiBackend backend, long afterEventId, Action<TuiSnapshot, Action> post, TimeSpan period, TimeProvider? time = null)
    {
        _backend = backend;
        _afterEventId = afterEventId;
        _post = post;
        _period = period;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Ticks whose snapshot was applied.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Ticks dropped because the previous one was still under way.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts ticking: once now, then every period.</summary>
    public void Start() => _timer ??= _time.CreateTimer(_ => TryTick(), null, TimeSpan.Zero, _period);

    /// <summary>
    /// Starts one tick unless the previous one is still under way (then it is dropped). Returns whether it started.
    /// Also used for "refresh now".
    /// </summary>
    public bool TryTick()
    {
        if (_disposed)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        _notCollecting.Reset();
        _ = Task.Run(() =>
        {
            var posted = false;
            try
            {
                if (_disposed)
                {
                    return;
                }

                TuiSnapshot snapshot;
                try
                {
                    snapshot = Collect();
                }
                finally
                {
                    _notCollecting.Set();
                }

                posted = true;
                _post(snapshot, Done);
            }
            catch (Exception)
            {
                // The UI is gone (app shut down) or posting failed: let the next tick try again.
                posted = false;
            }
            finally
            {
                if (!posted)
                {
                    Volatile.Write(ref _busy, 0);
                }
            }
        });
        return true;
    }

    /// <summary>Asks the backend for everything once. Failures become <see cref="TuiSnapshot.Error"/>, never exceptions.</summary>
    public TuiSnapshot Collect()
    {
        var errors = new List<string>();
        var profiles = Try(_backend.ListProfiles, "listing profiles", errors);
        var sessions = Try(_backend.ListSessions, "listing running envs", errors);
        var usage = Try(_backend.SampleUsage, "sampling usage", errors) ?? new Dictionary<string, TuiUsage>();
        var events = Try(() => _backend.EventsSince(Interlocked.Read(ref _afterEventId), MaxEventsPerTick), "reading events", errors) ?? [];
        if (events.Count > 0)
        {
            Interlocked.Exchange(ref _afterEventId, Math.Max(Interlocked.Read(ref _afterEventId), events.Max(e => e.Id)));
        }

        return new TuiSnapshot(_time.GetUtcNow(), profiles, sessions, usage, events, errors.Count == 0 ? null : string.Join("; ", errors));
    }

    /// <summary>
    /// Stops ticking and waits (at most <paramref name="wait"/>, default 2 s) for a tick that is talking to the
    /// backend, so the caller can hand the backend to a shell or dispose it without a call still running.
    /// </summary>
    public void Stop(TimeSpan? wait = null)
    {
        _disposed = true;
        _timer?.Dispose();
        _timer = null;
        _notCollecting.Wait(wait ?? TimeSpan.FromSeconds(2));
    }

    // The event is deliberately not disposed: a tick still finishing may set it, and an unused
    // ManualResetEventSlim holds no kernel handle.
    public void Dispose() => Stop();

    private void Done()
    {
        Interlocked.Increment(ref _completed);
        Volatile.Write(ref _busy, 0);
    }

    private static T? Try<T>(Func<T> call, string what, List<string> errors)
        where T : class
    {
        try
        {
            return call();
        }
        catch (Exception e)
        {
            errors.Add($"{what} failed: {e.Message}");
            return null;
        }
    }
}
