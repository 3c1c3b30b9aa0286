using System.Runtime.ExceptionServices;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Net;

/// <summary>
/// Runs code with the CALLING THREAD in another network namespace.
/// <para>
/// Design: the network namespace is per thread (setns/unshare with CLONE_NEWNET only move the calling thread), so
/// the work runs on a new, dedicated <see cref="Thread"/> — never a pool thread, because a pool thread that failed to
/// return to the host namespace would poison later, unrelated work. The thread saves a handle to its own namespace
/// (/proc/thread-self/ns/net), enters the target, runs the action, setns()'s back and ends. Sockets opened inside
/// (netlink, TCP) stay in that namespace for their whole life, whichever thread later uses them.
/// </para>
/// </summary>
internal static class NetnsThread
{
    private const string SelfNetns = "/proc/thread-self/ns/net";

    /// <summary>Runs <paramref name="action"/> inside the namespace bound at <paramref name="netnsPath"/>.</summary>
    public static T Run<T>(string netnsPath, Func<T> action, string what) =>
        OnDedicatedThread(() => Inside(() => Enter(netnsPath, what), action, what));

    /// <summary>Runs <paramref name="action"/> inside a brand-new network namespace (unshare CLONE_NEWNET).</summary>
    public static T RunInNew<T>(Func<T> action, string what) =>
        OnDedicatedThread(() => Inside(
            () =>
            {
                int e = Sys.TryUnshare(LibC.CLONE_NEWNET);
                if (e != 0)
                {
                    throw new SyscallException("unshare", e, $"{what}: unshare(CLONE_NEWNET)");
                }
            },
            action,
            what));

    private static T OnDedicatedThread<T>(Func<T> body)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = body();
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                }
            },
            maxStackSize: 512 * 1024)
        {
            IsBackground = true,
            Name = "devshell-netns",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static T Inside<T>(Action enter, Func<T> action, string what)
    {
        int self = Sys.TryOpen(SelfNetns, LibC.O_RDONLY, out int errno);
        if (self < 0)
        {
            throw new SyscallException("open", errno, $"{what}: opening {SelfNetns}");
        }

        try
        {
            enter();
            try
            {
                return action();
            }
            finally
            {
                // If this fails the thread is still in the other namespace; it ends right after, so nothing else
                // runs there. Nothing to undo.
                _ = Sys.TrySetns(self, LibC.CLONE_NEWNET);
            }
        }
        finally
        {
            Sys.Close(self);
        }
    }

    private static void Enter(string netnsPath, string what)
    {
        int fd = Sys.TryOpen(netnsPath, LibC.O_RDONLY, out int errno);
        if (fd < 0)
        {
            throw new SyscallException("open", errno, $"{what}: opening network namespace {netnsPath}");
        }

        try
        {
            int e = Sys.TrySetns(fd, LibC.CLONE_NEWNET);
            if (e != 0)
            {
                throw new SyscallException("setns", e, $"{what}: entering network namespace {netnsPath}");
            }
        }
        finally
        {
            Sys.Close(fd);
        }
    }
}
