namespace DevShell.Core.Storage;

/// <summary>
/// A unit of work kept open across several store calls (see <see cref="DevShellStore.Batch"/>): one hold of the
/// cross-process lock and one open of the file for all of them. Disposing it, on the thread that started it, closes
/// the file and lets go of the lock; disposing it again does nothing, so a caller may end it early and still
/// <c>using</c> it for the error paths.
/// </summary>
public sealed class StoreBatch : IDisposable
{
    private DevShellStore? _store;

    internal StoreBatch(DevShellStore store) => _store = store;

    /// <summary>False once disposed.</summary>
    public bool IsOpen => _store is not null;

    public void Dispose()
    {
        var store = _store;
        _store = null;
        store?.EndBatch();
    }
}
