namespace DevShell.Tui.Tests.Refresh;

public sealed class FileChangeWatchTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 12, 14, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("dstui-watch-").FullName;
    private readonly ManualTime _time = new() { Now = T0 };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string content, DateTimeOffset written)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, content);
        System.IO.File.SetLastWriteTimeUtc(path, written.UtcDateTime);
        return path;
    }

    [Fact]
    public void A_read_is_trusted_while_the_files_keep_their_stamps()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db, Path.Combine(_dir, "db-log.db")], _time);

        var mark = watch.BeginRead();
        _time.Now = T0.AddSeconds(3);

        Assert.True(watch.UnchangedSince(mark));
    }

    [Fact]
    public void A_write_to_a_watched_file_is_a_change()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db], _time);
        var mark = watch.BeginRead();

        System.IO.File.AppendAllText(db, " and one more");
        System.IO.File.SetLastWriteTimeUtc(db, T0.AddMinutes(-5).UtcDateTime); // even with the old time: the length changed

        Assert.False(watch.UnchangedSince(mark));
    }

    [Fact]
    public void A_rewrite_with_the_same_length_is_a_change_through_its_time()
    {
        var db = File("db.db", "aaaa", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db], _time);
        var mark = watch.BeginRead();

        System.IO.File.WriteAllText(db, "bbbb");
        System.IO.File.SetLastWriteTimeUtc(db, T0.AddMinutes(-4).UtcDateTime);

        Assert.False(watch.UnchangedSince(mark));
    }

    [Fact]
    public void A_file_that_appears_is_a_change()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var log = Path.Combine(_dir, "db-log.db");
        var watch = new FileChangeWatch([db, log], _time);
        var mark = watch.BeginRead();

        File("db-log.db", "pages", T0.AddMinutes(-5));

        Assert.False(watch.UnchangedSince(mark));
    }

    [Fact]
    public void A_read_that_began_right_after_a_write_is_not_trusted_until_one_that_began_later()
    {
        // Writes a few milliseconds apart can share a timestamp: a read that began within the settle time of the newest
        // write may have missed a second write with the same stamp.
        var db = File("db.db", "profiles", T0);
        var watch = new FileChangeWatch([db], _time);
        _time.Now = T0.AddMilliseconds(300);
        var early = watch.BeginRead();
        _time.Now = T0.AddSeconds(2);

        Assert.False(watch.UnchangedSince(early));

        var later = watch.BeginRead();
        _time.Now = T0.AddSeconds(3);
        Assert.True(watch.UnchangedSince(later));
    }

    [Fact]
    public void A_read_is_never_trusted_for_longer_than_the_maximum_age()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db], _time);
        var mark = watch.BeginRead();

        _time.Now = T0 + FileChangeWatch.MaxAge - TimeSpan.FromMilliseconds(1);
        Assert.True(watch.UnchangedSince(mark));
        _time.Now = T0 + FileChangeWatch.MaxAge;
        Assert.False(watch.UnchangedSince(mark));
    }

    [Fact]
    public void Without_a_read_nothing_is_trusted()
    {
        var watch = new FileChangeWatch([File("db.db", "x", T0.AddMinutes(-5))], _time);
        Assert.False(watch.UnchangedSince(null));
    }

    [Fact]
    public void A_gated_value_is_read_once_while_unchanged_and_handed_back_as_the_same_instance()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db], _time);
        var value = new ChangeGatedValue<List<string>>(watch, () => [System.IO.File.ReadAllText(db)]);

        var first = value.Get();
        _time.Now = T0.AddSeconds(1);
        var second = value.Get();
        Assert.Same(first, second);
        Assert.Equal(1, value.Reads);

        System.IO.File.WriteAllText(db, "profiles, changed");
        var third = value.Get();
        Assert.NotSame(first, third);
        Assert.Equal("profiles, changed", third[0]);
        Assert.Equal(2, value.Reads);
    }

    [Fact]
    public void Invalidating_a_gated_value_makes_the_next_get_read()
    {
        var db = File("db.db", "profiles", T0.AddMinutes(-5));
        var value = new ChangeGatedValue<string>(new FileChangeWatch([db], _time), () => System.IO.File.ReadAllText(db));
        value.Get();

        value.Invalidate();
        value.Get();

        Assert.Equal(2, value.Reads);
    }

    [Fact]
    public void A_tail_read_is_skipped_only_after_a_complete_read_while_nothing_changed()
    {
        var db = File("db.db", "events", T0.AddMinutes(-5));
        var watch = new FileChangeWatch([db], _time);
        var tail = new ChangeGatedTail(watch);
        Assert.False(tail.NothingAfter(0)); // never read

        tail.Read(tail.BeginRead(), afterId: 0, count: 3, max: 200, lastId: 7);
        Assert.True(tail.NothingAfter(7));
        Assert.True(tail.NothingAfter(9));
        Assert.False(tail.NothingAfter(5)); // asks for older items than were read

        System.IO.File.AppendAllText(db, ", one more");
        Assert.False(tail.NothingAfter(7));
    }

    [Fact]
    public void A_full_tail_read_is_never_skipped_because_more_may_follow()
    {
        var db = File("db.db", "events", T0.AddMinutes(-5));
        var tail = new ChangeGatedTail(new FileChangeWatch([db], _time));

        tail.Read(tail.BeginRead(), afterId: 0, count: 200, max: 200, lastId: 200);

        Assert.False(tail.NothingAfter(200));
    }

    [Fact]
    public void An_empty_tail_read_covers_the_id_it_was_asked_from_and_invalidating_forgets_it()
    {
        var db = File("db.db", "events", T0.AddMinutes(-5));
        var tail = new ChangeGatedTail(new FileChangeWatch([db], _time));

        tail.Read(tail.BeginRead(), afterId: 42, count: 0, max: 200, lastId: null);
        Assert.True(tail.NothingAfter(42));

        tail.Invalidate();
        Assert.False(tail.NothingAfter(42));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
