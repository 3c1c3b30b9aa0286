using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;

namespace DevShell.Core.Tests.Storage;

/// <summary>
/// Copies of stored profiles, read by launches without opening the store: made by a read, dropped by every write of
/// the profile, and never taken from another database.
/// </summary>
public sealed class ProfileSnapshotsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "devshell.db");

    private DevShellStore Open() => DevShellStore.Open(DbPath, new StoreOptions { AutoBackup = false });

    private static Profile Svc(string shell = "/bin/sh") => new() { Name = "svc", Shell = shell, Env = new() { ["MODE"] = "dev" } };

    [Fact]
    public void A_read_makes_a_copy_that_equals_the_stored_profile()
    {
        using var store = Open();
        store.Add(Svc());
        Assert.Null(store.Snapshots.TryRead("svc")); // adding does not make one

        var stored = store.Require("svc");
        var copy = new ProfileSnapshots(DbPath).TryRead("svc");

        Assert.NotNull(copy);
        Assert.Equal(ProfileJson.Serialize(stored, includeStoreFields: true), ProfileJson.Serialize(copy, includeStoreFields: true));
        Assert.Equal(1, copy.Revision);
    }

    [Fact]
    public void Every_write_of_the_profile_drops_its_copy_before_the_next_read_makes_a_new_one()
    {
        using var store = Open();
        store.Add(Svc());
        var v1 = store.Require("svc");

        store.Update(Svc("/bin/bash"), v1.Revision);
        Assert.Null(store.Snapshots.TryRead("svc"));
        Assert.Equal("/bin/bash", store.Require("svc").Shell);
        Assert.Equal("/bin/bash", store.Snapshots.TryRead("svc")!.Shell);

        store.Rename("svc", "svc2");
        Assert.Null(store.Snapshots.TryRead("svc"));
        _ = store.Require("svc2");
        Assert.NotNull(store.Snapshots.TryRead("svc2"));

        store.Delete("svc2");
        Assert.Null(store.Snapshots.TryRead("svc2"));
    }

    [Fact]
    public void A_write_that_fails_its_check_keeps_the_copy_of_the_unchanged_profile()
    {
        using var store = Open();
        store.Add(Svc());
        var v1 = store.Require("svc");
        store.Update(Svc("/bin/bash"), v1.Revision);
        _ = store.Require("svc");

        Assert.Throws<ConcurrencyConflictException>(() => store.Update(Svc("/bin/zsh"), v1.Revision));
        Assert.Equal("/bin/bash", store.Snapshots.TryRead("svc")!.Shell);
    }

    [Fact]
    public void Copies_of_another_database_are_dropped_when_the_store_is_opened()
    {
        using (var store = Open())
        {
            store.Add(Svc());
            _ = store.Require("svc");
            Assert.NotNull(store.Snapshots.TryRead("svc"));
        }

        // Another database file in its place (copied over from elsewhere): same path, another identity.
        string other = Path.Combine(_dir.Path, "other.db");
        using (var o = DevShellStore.Open(other, new StoreOptions { AutoBackup = false }))
        {
            o.Add(Svc("/bin/bash"));
        }
        File.Copy(other, DbPath, overwrite: true);
        File.Delete(Path.Combine(_dir.Path, "devshell-log.db"));

        using var reopened = Open();
        Assert.Null(reopened.Snapshots.TryRead("svc"));
        Assert.Equal("/bin/bash", reopened.Require("svc").Shell);
    }

    [Fact]
    public void A_new_database_does_not_inherit_the_copies_of_a_deleted_one()
    {
        using (var store = Open())
        {
            store.Add(Svc());
            _ = store.Require("svc");
        }
        File.Delete(DbPath);

        using var fresh = Open();
        Assert.Null(fresh.Snapshots.TryRead("svc"));
        Assert.Null(fresh.Get("svc"));
    }

    [Theory]
    [InlineData("../devshell")]
    [InlineData("svc/../../x")]
    [InlineData("")]
    [InlineData("Svc")]
    public void A_name_that_is_not_a_profile_name_reads_nothing(string name)
    {
        using var store = Open();
        Assert.Null(store.Snapshots.TryRead(name));
    }

    [Fact]
    public void A_damaged_copy_reads_as_none()
    {
        using var store = Open();
        store.Add(Svc());
        _ = store.Require("svc");
        string path = Path.Combine(store.Snapshots.Directory, "svc.json");
        File.WriteAllText(path, File.ReadAllText(path)[..40]);

        Assert.Null(store.Snapshots.TryRead("svc"));
    }
}
