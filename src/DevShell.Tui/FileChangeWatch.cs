namespace DevShell.Tui;

/// <summary>
/// Tells, from the files' metadata alone (one stat each, no reads), whether a set of files may have changed since a
/// moment a read of them began. Used by the TUI backend to skip re-reading the store on refresh ticks where nothing
/// was written: reading the database is the expensive part of a tick, stat-ing it is not.
/// </summary>
/// <remarks>
/// <para>A file's stamp is whether it exists, its length and its last write time. A write always changes the last
/// write time, except that file timestamps come from a coarse clock: two writes a few milliseconds apart can leave the
/// same stamp. So a read is only trusted as up to date when the newest write it could have missed is at least
/// <see cref="Settle"/> older than the moment the read began (the same rule git uses for "racily clean" files);
/// otherwise the next check says "changed" and the caller reads again, once.</para>
/// <para>A stamp can also stay the same across a change that preserves both length and timestamp (a file copied
/// back with its old time). To bound how long such a change could go unseen, a read is never trusted for longer than
/// <see cref="MaxAge"/>.</para>
/// </remarks>
public sealed class FileChangeWatch
{
    /// <summary>How much older than a read's start the newest write must be for the read to be trusted.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    /// <summary>How long a read is trusted at most, even when nothing seems to have changed.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    private readonly string[] _paths;
    private readonly TimeProvider _time;

    /// <param name="paths">The files to watch (missing files are fine: "missing" is part of the stamp).</param>
    /// <param name="time">The clock; the system's by default.</param>
    public FileChangeWatch(IEnumerable<string> paths, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _paths = [.. paths];
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The files' stamps and the current time: take it just before reading the files.</summary>
    public ReadMark BeginRead() => new(Stamp(), _time.GetUtcNow());

    /// <summary>
    /// True when a read that began at <paramref name="mark"/> still sees everything: no stamp changed, the newest write
    /// was settled before the read began, and the read is younger than <see cref="MaxAge"/>.
    /// </summary>
    public bool UnchangedSince(ReadMark? mark)
    {
        if (mark is not { } m || _time.GetUtcNow() - m.ReadStarted >= MaxAge)
        {
            return false;
        }

        return m.Stamp.NewestWrite <= m.ReadStarted - Settle && Stamp().Equals(m.Stamp);
    }

    private FilesStamp Stamp()
    {
        var parts = new FileStamp[_paths.Length];
        var newest = DateTimeOffset.MinValue;
        for (var i = 0; i < _paths.Length; i++)
        {
            var info = new FileInfo(_paths[i]);
            if (!info.Exists)
            {
                parts[i] = default;
                continue;
            }

            var written = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            parts[i] = new FileStamp(true, info.Length, written.UtcTicks);
            if (written > newest)
            {
                newest = written;
            }
        }

        return new FilesStamp(parts, newest);
    }

    /// <summary>What the files looked like when a read began, and when it began.</summary>
    public readonly record struct ReadMark(FilesStamp Stamp, DateTimeOffset ReadStarted);

    /// <summary>One file's stamp: exists, length, last write time (UTC ticks).</summary>
    public readonly record struct FileStamp(bool Exists, long Length, long WrittenTicks);

    /// <summary>Every file's stamp and the newest write among them.</summary>
    public readonly struct FilesStamp(FileStamp[] files, DateTimeOffset newestWrite) : IEquatable<FilesStamp>
    {
        public DateTimeOffset NewestWrite { get; } = newestWrite;

        public bool Equals(FilesStamp other) => files.AsSpan().SequenceEqual(other.Files);

        public override bool Equals(object? obj) => obj is FilesStamp other && Equals(other);

        public override int GetHashCode() => files.Length == 0 ? 0 : files[0].GetHashCode();

        private ReadOnlySpan<FileStamp> Files => files;

        public static bool operator ==(FilesStamp left, FilesStamp right) => left.Equals(right);

        public static bool operator !=(FilesStamp left, FilesStamp right) => !left.Equals(right);
    }
}
