using System.Diagnostics;

namespace DevShell.Core.Storage;

/// <summary>
/// The cross-process lock every store call runs under: an exclusive hold of <c>&lt;db&gt;.lock</c>.
/// LiteDB's shared mode relies on a named <see cref="Mutex"/> for this, but the NativeAOT runtime's named mutexes
/// are process-local on Linux (measured: two processes both "held" one at once), which would let two devshell
/// processes write the file together and lose writes. .NET opens a file with <see cref="FileShare.None"/> under an
/// exclusive <c>flock</c>, which is cross-process in every runtime, so holding that file open is the lock.
/// Re-entrant on one thread through a depth count (callers already serialize threads with their own gate).
/// </summary>
internal sealed class StoreFileLock(string path, TimeSpan timeout) : IDisposable
{
    // How .NET on Linux reports that another open file description holds the flock: the errno (EWOULDBLOCK = 11)
    // as the HResult (measured); Windows-style ERROR_SHARING_VIOLATION is accepted too.
    private static bool IsHeldElsewhere(IOException e) => e.HResult is 11 or unchecked((int)0x80070020);

    private FileStream? _held;
    private int _depth;

    public string Path { get; } = path;

    /// <summary>Takes the lock (or deepens it); waits up to the timeout for another process to let go.</summary>
    /// <exception cref="StoreException">Another process held it for longer than the timeout.</exception>
    public void Enter()
    {
        if (_depth++ > 0)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        var spins = 0;
        while (true)
        {
            try
            {
                _held = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                return;
            }
            catch (IOException e) when (IsHeldElsewhere(e) && clock.Elapsed < timeout)
            {
                // Held elsewhere: one store call is milliseconds, so poll briefly, then back off to 1 ms sleeps.
                if (++spins < 20) Thread.Yield();
                else Thread.Sleep(1);
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                _depth--;
                throw new StoreException($"the DevShell database is locked by another devshell process for over {timeout.TotalSeconds:0} s ({Path}); if none is running, delete that file", e);
            }
            catch
            {
                _depth--;
                throw;
            }
        }
    }

    /// <summary>Undoes one <see cref="Enter"/>; the last one lets go of the file.</summary>
    public void Exit()
    {
        if (--_depth == 0)
        {
            _held?.Dispose();
            _held = null;
        }
    }

    /// <summary>Lets go of the file whatever the depth.</summary>
    public void Dispose()
    {
        _depth = 0;
        _held?.Dispose();
        _held = null;
    }
}
