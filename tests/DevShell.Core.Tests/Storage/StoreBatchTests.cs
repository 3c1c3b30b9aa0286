using DevShell.Core.Profiles;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;

namespace DevShell.Core.Tests.Storage;

/// <summary>
/// Units of work: every call opens the file inside the lock and closes it before letting go; a batch shares one unit
/// across calls. A second store instance on the same file stands in for another process (its lock is another open
/// file description, which flock treats like another process).
/// </summary>
public sealed class StoreBatchTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "devshell.db");

    private DevShellStore Open(TimeSpan? lockTimeout = null) =>
        DevShellStore.Open(DbPath, new StoreOptions { AutoBackup = false, LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30) });

    private static SessionRecord Session(string id) => new() { Id = id, Profile = "p", State = SessionState.Starting };

    [Fact]
    public void Each_call_outside_a_batch_is_its_own_unit_and_a_batch_is_one_for_all_its_calls()
    {
        using var store = Open();
        int before = store.UnitsOpened;
        store.Add(new Profile { Name = "a" });
        _ = store.Get("a");
        Assert.Equal(before + 2, store.UnitsOpened);

        using (store.Batch())
        {
            _ = store.Get("a");
            _ = store.ListActiveSessions();
            store.AddSession(Session("0000000a"));
            using (store.Batch())
            {
                _ = store.GetSession("0000000a");
            }
        }

        Assert.Equal(before + 3, store.UnitsOpened);
    }

    [Fact]
    public void Open_with_a_held_batch_checks_the_file_in_the_same_unit_as_the_callers_calls()
    {
        using (var seed = Open())
        {
            seed.Add(new Profile { Name = "svc" });
        }

        using var store = DevShellStore.Open(DbPath, new StoreOptions { AutoBackup = false }, out var batch);
        using (batch)
        {
            Assert.Equal("svc", store.Require("svc").Name);
            _ = store.ListActiveSessions();
            store.AddSession(Session("0000000b"));
        }

        Assert.False(batch.IsOpen);
        Assert.Equal(1, store.UnitsOpened);
        Assert.NotNull(store.GetSession("0000000b"));
    }

    [Fact]
    public void A_batch_holds_the_lock_so_another_store_waits_until_it_ends_and_then_sees_its_writes()
    {
        using var store = Open();
        using var other = Open(lockTimeout: TimeSpan.FromMilliseconds(200));
        var batch = store.Batch();
        store.Add(new Profile { Name = "in-batch" });
        var e = Assert.Throws<StoreException>(() => other.Get("in-batch"));
        Assert.Contains("locked by another devshell process", e.Message, StringComparison.Ordinal);
        batch.Dispose();
        batch.Dispose(); // a second dispose does nothing

        Assert.NotNull(other.Get("in-batch"));
    }

    [Fact]
    public void No_unit_leaves_the_file_open_or_its_log_behind()
    {
        using var store = Open();
        store.Add(new Profile { Name = "x" });
        using (store.Batch())
        {
            store.AddSession(Session("0000000c"));
            store.AppendEvent(new Core.Events.EventRecord { SessionId = "0000000c", Kind = "started", Message = "pid 1" });
        }

        // Closed and checkpointed: no LiteDB log file, and the data file alone holds every write.
        Assert.False(File.Exists(Path.Combine(_dir.Path, "devshell-log.db")));
        var copy = Path.Combine(_dir.Path, "copy.db");
        File.Copy(DbPath, copy);
        using var reader = DevShellStore.Open(copy, new StoreOptions { AutoBackup = false });
        Assert.NotNull(reader.Get("x"));
        Assert.NotNull(reader.GetSession("0000000c"));
        Assert.Single(reader.QueryEvents("0000000c"));
    }

    [Fact]
    public void A_backup_taken_inside_a_batch_holds_the_batchs_writes()
    {
        using var store = Open();
        using (store.Batch())
        {
            store.Add(new Profile { Name = "before-backup" });
            Assert.True(store.Backup(force: true));
        }

        using var backup = DevShellStore.Open(store.BackupPath, new StoreOptions { AutoBackup = false });
        Assert.NotNull(backup.Get("before-backup"));
    }

    [Fact]
    public void A_failed_call_inside_a_batch_leaves_the_batch_usable_and_its_other_writes_kept()
    {
        using var store = Open();
        using (store.Batch())
        {
            store.Add(new Profile { Name = "kept" });
            Assert.Throws<ProfileAlreadyExistsException>(() => store.Add(new Profile { Name = "kept" }));
            store.AddSession(Session("0000000d"));
        }

        using var other = Open();
        Assert.NotNull(other.Get("kept"));
        Assert.NotNull(other.GetSession("0000000d"));
    }

    [Fact]
    public void A_one_transaction_batch_commits_the_writes_of_all_its_calls_when_it_ends()
    {
        using var store = Open();
        int before = store.UnitsOpened;
        using (store.Batch(oneTransaction: true))
        {
            store.AddSession(Session("0000000a"));
            _ = store.AllocateIp("0000000a", DevShell.Core.Networking.Ipv4Cidr.Parse("10.88.0.0/16"));
            Assert.NotNull(store.GetSession("0000000a")); // its own writes are visible inside
        }

        Assert.Equal(before + 1, store.UnitsOpened);
        using var other = Open();
        Assert.NotNull(other.GetSession("0000000a"));
        Assert.Single(other.ListLeases());
    }

    [Fact]
    public void A_failed_call_rolls_back_everything_its_one_transaction_batch_wrote_and_later_writes_throw()
    {
        using var store = Open();
        using (store.Batch(oneTransaction: true))
        {
            store.AddSession(Session("0000000a"));
            Assert.Throws<StoreException>(() => store.AddSession(Session("0000000a")));
            Assert.Throws<InvalidOperationException>(() => store.AddSession(Session("0000000b")));
        }

        Assert.Null(store.GetSession("0000000a"));
        Assert.Null(store.GetSession("0000000b"));
        store.AddSession(Session("0000000c")); // the store is usable again
        Assert.NotNull(store.GetSession("0000000c"));
    }

    [Fact]
    public void The_outbox_a_one_transaction_batch_applied_stays_queued_when_the_batch_rolls_back()
    {
        using var store = Open();
        store.Outbox.Post(new SessionChange { SessionId = "0000000a", Seq = 1, Add = Session("0000000a") });
        using (store.Batch(oneTransaction: true))
        {
            Assert.NotNull(store.GetSession("0000000a"));
            Assert.Throws<StoreException>(() => store.AddSession(Session("0000000a")));
        }

        Assert.Single(Directory.GetFiles(store.Outbox.Directory, "*.json"));
        Assert.NotNull(store.GetSession("0000000a")); // the next unit applies it
        Assert.Empty(Directory.GetFiles(store.Outbox.Directory));
    }

    [Fact]
    public void A_batch_that_leaves_the_outbox_adds_and_leases_without_applying_queued_ends()
    {
        var subnet = DevShell.Core.Networking.Ipv4Cidr.Parse("10.88.0.0/16");
        using var store = Open();
        store.AddSession(Session("0000000a"));
        string first = store.AllocateIp("0000000a", subnet).Ip;
        // The end of 0000000a, with its lease's release, waits in the outbox.
        store.Outbox.Post(new SessionChange { SessionId = "0000000a", Seq = 1, Ended = new EndFacts(SessionState.Exited, 0, DateTime.UtcNow), ReleaseIp = true });

        string second;
        using (store.Batch(oneTransaction: true, applyOutbox: false))
        {
            store.AddSession(Session("0000000b"));
            // Not applied: the address being released is skipped, never handed out twice.
            second = store.AllocateIp("0000000b", subnet).Ip;
            Assert.NotEqual(first, second);
            Assert.Single(Directory.GetFiles(store.Outbox.Directory, "*.json"));
        }

        Assert.Single(Directory.GetFiles(store.Outbox.Directory, "*.json"));
        using (var other = Open())
        {
            Assert.NotNull(other.GetSession("0000000b")); // the batch's writes committed; this unit applies the end
        }
        Assert.Empty(Directory.GetFiles(store.Outbox.Directory, "*.json"));
        Assert.Equal(SessionState.Exited, store.GetSession("0000000a")!.State);
        Assert.Equal([second], store.ListLeases().Select(l => l.Ip));
    }

    [Fact]
    public void Reading_active_sessions_inside_a_batch_that_leaves_the_outbox_still_applies_it()
    {
        using var store = Open();
        store.Outbox.Post(new SessionChange { SessionId = "0000000a", Seq = 1, Add = Session("0000000a") });
        using (store.Batch(oneTransaction: true, applyOutbox: false))
        {
            Assert.Single(store.ListActiveSessions(), s => s.Id == "0000000a");
        }

        Assert.Empty(Directory.GetFiles(store.Outbox.Directory, "*.json"));
    }
}
