using System.IO.Pipes;
using DevShell.Tui.Interop;
using Terminal.Gui.Drivers;

namespace DevShell.Tui.Hosting;

/// <summary>
/// Terminal.Gui's ANSI input, made to sleep while the user types nothing and to say when a key has arrived.
/// </summary>
/// <remarks>
/// Terminal.Gui 2.5's input thread asks <see cref="Peek"/> whether the terminal has input and, when it has none,
/// sleeps 20 ms with <c>Task.Delay</c> and asks again: 50 wake-ups a second, each one a timer-thread wake, a
/// thread-pool hand-off and a wake of the input thread (measured: about 1% of a core on this VM while idle).
/// Here <see cref="Peek"/> instead blocks in poll(2) until stdin is readable, <see cref="Stop"/> is called, or
/// <see cref="MaxWait"/> passes — one wake a second while idle — and <see cref="InputSeen"/> tells the UI thread (see
/// <see cref="IdleLoop"/>) as soon as a key is queued. Reading and decoding stay Terminal.Gui's own.
/// </remarks>
internal sealed class WaitingAnsiInput : AnsiInput
{
    /// <summary>Longest single wait: bounds how long a missed <see cref="Stop"/> could hold up shutting down.</summary>
    public const int MaxWait = 1000;

    private readonly AnonymousPipeServerStream _wake = new(PipeDirection.Out);
    private readonly int _wakeFd;
    private readonly int _fd;
    private readonly int _maxWaitMs;
    private volatile bool _stopped;
    private bool _blockingBroken;
    private bool _queued; // the last Peek said "input": the loop has read and queued it by the next Peek

    /// <summary>Waits on stdin, when stdin is a terminal (otherwise it behaves like <see cref="AnsiInput"/>).</summary>
    public WaitingAnsiInput()
        : this(fd: 0, block: !Console.IsInputRedirected, MaxWait)
    {
    }

    /// <param name="fd">The descriptor to wait on (stdin; a pipe in tests).</param>
    /// <param name="block">False: never wait (Terminal.Gui's polling as is).</param>
    /// <param name="maxWaitMs">Longest single wait.</param>
    internal WaitingAnsiInput(int fd, bool block, int maxWaitMs)
    {
        _fd = fd;
        _maxWaitMs = maxWaitMs;
        _blockingBroken = !block;
        _wakeFd = (int)_wake.ClientSafePipeHandle.DangerousGetHandle();
    }

    /// <summary>
    /// Raised on the input thread once input has been read and queued for the UI thread (Terminal.Gui's input loop
    /// reads and queues right after <see cref="Peek"/> says there is input, then calls <see cref="Peek"/> again: it is
    /// raised there).
    /// </summary>
    public event Action? InputSeen;

    /// <summary>How many times a wait ended; for tests and measurements.</summary>
    public long Waits { get; private set; }

    /// <summary>False once waiting was given up (stdin hung up or failed): Terminal.Gui's polling runs as is.</summary>
    public bool Blocking => !_blockingBroken;

    /// <inheritdoc />
    public override bool Peek()
    {
        if (_queued)
        {
            _queued = false;
            InputSeen?.Invoke();
        }

        if (base.Peek())
        {
            _queued = true;
            return true;
        }

        if (_stopped || _blockingBroken)
        {
            return false; // Terminal.Gui's own 20 ms polling takes over.
        }

        Span<Sys.PollFd> fds = [new() { Fd = _fd, Events = Sys.POLLIN }, new() { Fd = _wakeFd, Events = Sys.POLLIN }];
        var ready = Sys.Poll(fds, _maxWaitMs, out _);
        Waits++;
        if (ready < 0 || (fds[0].Revents & (Sys.POLLERR | Sys.POLLHUP | Sys.POLLNVAL)) != 0)
        {
            // stdin is gone or unusable: waiting on it would return at once, forever. Fall back to polling.
            _blockingBroken = true;
        }

        _queued = base.Peek();
        return _queued;
    }

    /// <summary>Ends the current wait at once and every later one (call before the application shuts down).</summary>
    public void Stop()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        try
        {
            _wake.WriteByte(1);
            _wake.Flush();
        }
        catch (IOException)
        {
            // The pipe is already closed: nothing is waiting on it.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        Stop();
        base.Dispose();
        _wake.Dispose();
    }
}
