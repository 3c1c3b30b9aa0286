using System.Runtime.InteropServices;
using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Launch;

/// <summary>
/// Stage two, started as PID 1 of the env's new namespaces before the env is built, so that its process and runtime
/// start (~6 ms here) overlap the launch's store unit and the making of its cgroup and network.
/// <para>
/// It blocks reading its launch spec from a pipe (fd 4): the spec is its go signal. Until <see cref="Go"/> writes it
/// and closes the pipe, stage two has touched nothing, joined no namespace file or cgroup and started nothing.
/// <see cref="Abort"/> kills it. A front killed meanwhile closes the pipe with it: stage two reads an empty spec,
/// reports it and exits, so nothing waits forever.
/// </para>
/// </summary>
internal sealed unsafe class PendingInit : IDisposable
{
    private readonly NamespaceSpawner.Pending _spawn;
    private int _specWrite;
    private int _pid = -1;
    private bool _reaped;
    private bool _disposed;

    private PendingInit(NamespaceSpawner.Pending spawn, int specWrite, int statusRead, PtyRelay? pty)
    {
        _spawn = spawn;
        _specWrite = specWrite;
        StatusRead = statusRead;
        Pty = pty;
    }

    /// <summary>The read end of the status pipe (fd 3 in stage two).</summary>
    public int StatusRead { get; private set; }

    /// <summary>The env's terminal, for a shell.</summary>
    public PtyRelay? Pty { get; }

    /// <summary>
    /// Starts stage two's <c>init</c> in new namespaces (<paramref name="namespaceFlags"/>) on a thread of its own,
    /// after <paramref name="before"/> has run there (waiting for the namespace files it will join, see
    /// <see cref="IEnvironmentPart.OnSpawnThread"/>). Returns at once.
    /// </summary>
    public static PendingInit Start(string stage2, int namespaceFlags, LaunchRequest request, IReadOnlyList<string> environment, Action? before)
    {
        PtyRelay? pty = request.Tty ? PtyRelay.Open() : null;
        int statusRead = -1, statusWrite = -1, specRead = -1, specWrite = -1;
        try
        {
            (statusRead, statusWrite) = Spawner.Pipe("the status pipe");
            (specRead, specWrite) = Spawner.Pipe("the spec pipe");
        }
        catch
        {
            foreach (int fd in new[] { statusRead, statusWrite, specRead }) if (fd >= 0) Libc.close(fd);
            pty?.Dispose();
            throw;
        }

        var (stdin, stdout, stderr) = pty is not null ? (pty.Slave, pty.Slave, pty.Slave) : request.Stdio ?? (0, 1, 2);
        (int, int)[] fds = [(0, stdin), (1, stdout), (2, stderr), (StatusProtocol.StatusFd, statusWrite), (StatusProtocol.SpecFd, specRead)];
        var spawn = NamespaceSpawner.Start(namespaceFlags, stage2, [stage2, "init"], environment, fds, newProcessGroup: true,
            before: before,
            after: () =>
            {
                // Once, when the child has its copies (or was never started): the front keeps only its own ends, so the
                // status pipe shows EOF when PID 1 is gone and the terminal's master when the env is.
                Libc.close(statusWrite);
                Libc.close(specRead);
                pty?.CloseSlave();
            });
        return new PendingInit(spawn, specWrite, statusRead, pty);
    }

    /// <summary>
    /// Sends the spec: stage two builds the env and starts the command. Returns PID 1's host pid.
    /// A stage two that died meanwhile is not an error here: the status pipe tells the caller (EOF before "ready").
    /// </summary>
    /// <exception cref="SyscallException">The spawn itself failed: nothing was started.</exception>
    public int Go(string spec)
    {
        _pid = _spawn.Join();
        var bytes = System.Text.Encoding.UTF8.GetBytes(spec);
        fixed (byte* p = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                long n = Libc.write(_specWrite, p + done, bytes.Length - done);
                if (n > 0) done += (int)n;
                else if (n < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR) continue;
                else break; // EPIPE: stage two is gone, and says why on the status pipe (or by its exit)
            }
        }
        CloseSpec();
        return _pid;
    }

    /// <summary>Waits for the spawn (not for the spec) and returns stage two's pid; for tests.</summary>
    internal int Spawned() => _pid = _spawn.Join();

    /// <summary>Waits for PID 1 to exit and reaps it; returns its exit code (see <see cref="Spawner.Wait"/>).</summary>
    public int Wait()
    {
        int code = Spawner.Wait(_pid);
        _reaped = true;
        return code;
    }

    /// <summary>
    /// The env will not be built: kills stage two (it has done nothing in the env yet) and reaps it, so that the
    /// caller's teardown finds no process. Safe to call at any point and more than once.
    /// </summary>
    public void Abort()
    {
        CloseSpec();
        try
        {
            _pid = _spawn.Join();
        }
        catch (Exception e) when (e is SyscallException)
        {
            return; // never started
        }
        if (_pid > 0 && !_reaped)
        {
            Libc.kill(_pid, Libc.SIGKILL);
            _ = Spawner.Wait(_pid);
            _reaped = true;
        }
    }

    /// <summary>Closes the front's ends of the pipes and the terminal (after the env ended, or after <see cref="Abort"/>).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CloseSpec();
        if (StatusRead >= 0) Libc.close(StatusRead);
        StatusRead = -1;
        Pty?.Dispose();
    }

    private void CloseSpec()
    {
        if (_specWrite >= 0) Libc.close(_specWrite);
        _specWrite = -1;
    }
}
