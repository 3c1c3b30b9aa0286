using System.Runtime.ExceptionServices;

namespace DevShell.Linux.Net;

/// <summary>
/// <see cref="BridgeNetwork.Detach"/> running on its own thread. Deleting a veth returns only after the kernel's
/// rcu_barrier (netdev_run_todo), about 20 ms on this VM whatever else is going on, and nothing else of a teardown
/// depends on it: the caller removes the env's rules, names, netns file and lease meanwhile, then <see cref="Wait"/>s,
/// so the link is still gone before the teardown returns.
/// </summary>
public sealed class PendingDetach
{
    private readonly Thread _thread;
    private bool _deleted;
    private ExceptionDispatchInfo? _failure;

    private PendingDetach(string sessionId)
    {
        _thread = new Thread(() =>
        {
            try
            {
                _deleted = BridgeNetwork.Detach(sessionId);
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "veth delete",
        };
    }

    /// <summary>Starts deleting the host end of <paramref name="sessionId"/>'s veth (its peer goes with it).</summary>
    public static PendingDetach Start(string sessionId)
    {
        BridgeNetwork.CheckSessionId(sessionId);
        var pending = new PendingDetach(sessionId);
        pending._thread.Start();
        return pending;
    }

    /// <summary>Waits for the deletion: true if it deleted the link, false if there was none; rethrows its failure.</summary>
    public bool Wait()
    {
        _thread.Join();
        _failure?.Throw();
        return _deleted;
    }

    /// <summary>Waits for the deletion and ignores its failure (the caller is already failing with another error).</summary>
    public void TryWait() => _thread.Join();
}
