using System.Runtime.InteropServices;
using Terminal.Gui.App;

namespace DevShell.Tui.Hosting;

/// <summary>
/// Makes Terminal.Gui's main loop sleep while there is nothing to do, and wake the moment there is.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> Terminal.Gui 2.5 runs its main loop <see cref="Application.MaximumIterationsPerSecond"/> times a
/// second (25 by default) whether or not anything happens, sleeping between passes with <c>Task.Delay(…).Wait()</c>:
/// each pass costs a timer-thread wake, a thread-pool hand-off and a wake of the UI thread — measured here as most of
/// the idle TUI's CPU. And a key waits for the next pass (up to 40 ms, plus up to 20 ms of input polling).</para>
/// <para><b>How.</b> Terminal.Gui raises <see cref="IApplication.Iteration"/> at the start of every pass. The loop's own
/// sleep is switched off (the pass rate is set so high that its sleep rounds to nothing) and this handler sleeps
/// instead, on an event that is set the moment there is work: input was read (<see cref="WaitingAnsiInput"/>), a
/// callback was queued with <c>Invoke</c> or a timeout added (<see cref="ITimedEvents.Added"/>; the refresh loop
/// hands its snapshots over that way), or the terminal was resized (SIGWINCH). Otherwise it sleeps until the next
/// Terminal.Gui timeout is due, at most <see cref="IdleWaitMs"/> (a bound for anything Terminal.Gui only polls).
/// Right after input, passes come every <see cref="ActiveWaitMs"/> for <see cref="ActiveFor"/> (Terminal.Gui tells a
/// lone Esc from an escape sequence by time, on a later pass). A pass that follows a sleep never sleeps itself, so
/// whatever the woken pass ran (a queued callback runs after drawing) is drawn at once.</para>
/// <para><b>Cursor.</b> Terminal.Gui sets its "cursor needs an update" flag and never clears it, so every pass
/// writes "hide the cursor, move it to 1;1" to the terminal (two writes, and a wake of the terminal or tmux) even when
/// the cursor is hidden and stays hidden. <see cref="CursorGate"/> clears the flag when that write would change
/// nothing.</para>
/// </remarks>
internal sealed class IdleLoop : IDisposable
{
    /// <summary>Longest sleep while idle, when input wakes the loop itself.</summary>
    public const int IdleWaitMs = 250;

    /// <summary>Longest sleep while idle with Terminal.Gui's own input (which cannot wake the loop): its stock pace.</summary>
    public const int PollingIdleWaitMs = 40;

    /// <summary>Sleep between passes shortly after input, and before the first screen is drawn.</summary>
    public const int ActiveWaitMs = 20;

    /// <summary>How long after the last input passes come every <see cref="ActiveWaitMs"/>.</summary>
    public static readonly TimeSpan ActiveFor = TimeSpan.FromSeconds(2);

    private readonly IApplication _app;
    private readonly WaitingAnsiInput? _input;
    private readonly ITimedEvents? _timers;
    private readonly ushort _previousRate;
    private readonly ManualResetEventSlim _wake = new(initialState: false, spinCount: 0);
    private readonly PosixSignalRegistration? _resized;
    private readonly CursorGate _cursor = new();
    private long _lastInputMs = -1; // Environment.TickCount64 of the last input; -1: none yet
    private bool _previousPassSlept = true; // the first pass runs at once
    private bool _drawn;

    private IdleLoop(IApplication app, WaitingAnsiInput? input)
    {
        _app = app;
        _input = input;
        _timers = app.TimedEvents;
        _previousRate = Application.MaximumIterationsPerSecond;
        Application.MaximumIterationsPerSecond = ushort.MaxValue; // 1000 / 65535 ms = 0: the loop never sleeps by itself
        app.Iteration += OnIteration;
        app.LayoutAndDrawComplete += OnDrawn;
        if (_timers is not null)
        {
            _timers.Added += OnTimeoutAdded;
        }

        if (input is not null)
        {
            input.InputSeen += OnInput;
        }

        try
        {
            _resized = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => _wake.Set());
        }
        catch (PlatformNotSupportedException)
        {
            // Resizes are then noticed on the next pass (Terminal.Gui checks the size on every pass).
        }
    }

    /// <summary>Starts pacing <paramref name="app"/> (initialized, not yet running); dispose to stop.</summary>
    public static IdleLoop Attach(IApplication app, WaitingAnsiInput? input) => new(app, input);

    /// <summary>
    /// How long the pass about to start sleeps first, in ms (0: not at all). <paramref name="sinceInputMs"/> is the time
    /// since the last input (-1: none yet); <paramref name="timerDueMs"/> the time until Terminal.Gui's next timeout
    /// (-1: none). Wake-ups end the sleep early in any case.
    /// </summary>
    public static int SleepFor(bool previousPassSlept, bool drawn, bool inputWakes, long sinceInputMs, int timerDueMs)
    {
        if (previousPassSlept)
        {
            return 0;
        }

        var sleep = !drawn || (sinceInputMs >= 0 && sinceInputMs < (long)ActiveFor.TotalMilliseconds) ? ActiveWaitMs
            : inputWakes ? IdleWaitMs
            : PollingIdleWaitMs;
        return timerDueMs >= 0 ? Math.Min(sleep, timerDueMs) : sleep;
    }

    public void Dispose()
    {
        _app.Iteration -= OnIteration;
        _app.LayoutAndDrawComplete -= OnDrawn;
        if (_timers is not null)
        {
            _timers.Added -= OnTimeoutAdded;
        }

        if (_input is not null)
        {
            _input.InputSeen -= OnInput;
        }

        _resized?.Dispose();
        Application.MaximumIterationsPerSecond = _previousRate;
        // The event is deliberately not disposed: a signal or another thread may still set it; it holds no kernel handle.
    }

    // Input thread, once the input is queued for the UI thread.
    private void OnInput()
    {
        Volatile.Write(ref _lastInputMs, Environment.TickCount64);
        _wake.Set();
    }

    // Any thread: app.Invoke, AddTimeout.
    private void OnTimeoutAdded(object? sender, TimeoutEventArgs e) => _wake.Set();

    private void OnDrawn(object? sender, EventArgs e) => _drawn = true;

    // UI thread, at the start of every pass.
    private void OnIteration(object? sender, EventArgs<IApplication?> e)
    {
        var lastInput = Volatile.Read(ref _lastInputMs);
        var timerDue = _timers is TimedEvents timers && timers.CheckTimers(out var due) ? due : -1;
        var sleep = SleepFor(_previousPassSlept, _drawn, _input is not null, lastInput < 0 ? -1 : Environment.TickCount64 - lastInput, timerDue);
        _previousPassSlept = sleep > 0;
        if (sleep > 0)
        {
            _wake.Wait(sleep);
        }

        _wake.Reset();
        GateCursor();
    }

    private void GateCursor()
    {
        if (_app.Driver is not { } driver)
        {
            return;
        }

        if (!driver.GetCursorNeedsUpdate())
        {
            _cursor.Redundant(needsUpdate: false, wantsHidden: false, lastSetHidden: false);
            return;
        }

        var focused = _app.TopRunnableView?.MostFocused;
        var current = driver.GetCursor();
        if (_cursor.Redundant(needsUpdate: true, wantsHidden: focused is null || !focused.Cursor.IsVisible, lastSetHidden: !current.IsVisible && current.Position is null))
        {
            driver.SetCursorNeedsUpdate(false);
        }
    }

    /// <summary>
    /// Decides, at the start of each pass, whether Terminal.Gui's pending cursor update would only repeat what the
    /// terminal already shows. It clears the flag only when the cursor should be hidden, the driver last set it hidden
    /// (the way the update does), and that was already so at the start of the previous pass with the flag set — so the
    /// update has run at least once since (it runs on every pass the flag is set) and the terminal's cursor is hidden.
    /// Anything that moves, shows or re-focuses the cursor sets the flag again and breaks the streak.
    /// </summary>
    internal sealed class CursorGate
    {
        private int _streak;

        /// <summary>Returns true when the flag can be cleared for this pass.</summary>
        public bool Redundant(bool needsUpdate, bool wantsHidden, bool lastSetHidden)
        {
            if (!needsUpdate || !wantsHidden || !lastSetHidden)
            {
                _streak = 0;
                return false;
            }

            if (++_streak < 2)
            {
                return false;
            }

            _streak = 0;
            return true;
        }
    }
}
