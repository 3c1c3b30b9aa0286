namespace DevShell.Tui;

/// <summary>
/// A value read from files (e.g. the store's profiles), read again only when <see cref="FileChangeWatch"/> says the
/// files may have changed since the last read. While they have not, <see cref="Get"/> returns the same instance, so
/// callers can tell "nothing changed" with a reference comparison. Not thread-safe.
/// </summary>
public sealed class ChangeGatedValue<T>(FileChangeWatch watch, Func<T> read)
    where T : class
{
    private T? _value;

    /// <summary>The mark of the last read, or null before the first (or after <see cref="Invalidate"/>).</summary>
    public FileChangeWatch.ReadMark? Mark { get; private set; }

    /// <summary>How many times the value was actually read (for tests and measurements).</summary>
    public int Reads { get; private set; }

    /// <summary>The last value while the files are unchanged since it was read; otherwise a fresh read.</summary>
    public T Get()
    {
        if (_value is not null && watch.UnchangedSince(Mark))
        {
            return _value;
        }

        var mark = watch.BeginRead();
        _value = read();
        Mark = mark;
        Reads++;
        return _value;
    }

    /// <summary>Forgets the value, e.g. just before this process writes the files: the next <see cref="Get"/> reads.</summary>
    public void Invalidate()
    {
        _value = null;
        Mark = null;
    }
}

/// <summary>
/// For reads of "everything after id N, at most M" (the store's events): tells when such a read can be skipped because
/// an earlier one returned everything there was (fewer than M) after an id at or below N, and the files have not
/// changed since it began. Not thread-safe.
/// </summary>
public sealed class ChangeGatedTail(FileChangeWatch watch)
{
    private FileChangeWatch.ReadMark? _mark;
    private long _completeAfter = -1;

    /// <summary>True when a read of the items after <paramref name="afterId"/> would return nothing new.</summary>
    public bool NothingAfter(long afterId) => _completeAfter >= 0 && afterId >= _completeAfter && watch.UnchangedSince(_mark);

    /// <summary>Call just before reading.</summary>
    public FileChangeWatch.ReadMark BeginRead() => watch.BeginRead();

    /// <summary>
    /// Records a read that began at <paramref name="mark"/> and asked for at most <paramref name="max"/> items after
    /// <paramref name="afterId"/>; <paramref name="lastId"/> is the highest id returned (null: none).
    /// </summary>
    public void Read(FileChangeWatch.ReadMark mark, long afterId, int count, int max, long? lastId)
    {
        _mark = mark;
        _completeAfter = count < max ? Math.Max(afterId, lastId ?? afterId) : -1;
    }

    /// <summary>Forgets what was read, e.g. just before this process adds an item.</summary>
    public void Invalidate()
    {
        _mark = null;
        _completeAfter = -1;
    }
}
