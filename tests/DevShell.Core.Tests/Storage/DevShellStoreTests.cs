using DevShell.Core.Events;
using DevShell.Core.Formats;
using DevShell.Core.Networking;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Storage;

/// <summary>The store against real LiteDB files in a temp dir, within one process.</summary>
public class DevShellStoreTests : IDisposable
{
    private static readonly Ipv4Cidr Subnet = Ipv4Cidr.Parse("10.77.0.0/24");
    private readonly TempDir _dir = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "data", "devshell.db");

    private DevShellStore Open(bool autoBackup = false) =>
        DevShellStore.Open(DbPath, new StoreOptions { Clock = _clock, AutoBackup = autoBackup });

    [Fact]
    public void Active_sessions_come_from_the_state_index_and_pruning_keeps_the_newest_ended_ones()
    {
        using var store = Open();
        var states = new[] { SessionState.Exited, SessionState.Running, SessionState.Failed, SessionState.Starting, SessionState.Stopped, SessionState.Exited };
        for (int i = 0; i < states.Length; i++)
        {
            store.AddSession(new SessionRecord { Id = $"0000000{i}", Profile = "p", State = states[i], StartedAt = new DateTime(2025, 1, 1, 0, i, 0, DateTimeKind.Utc) });
        }
        Assert.Equal(["00000001", "00000003"], store.ListActiveSessions().Select(s => s.Id));
        Assert.Equal(2, store.CountActiveSessions());
        store.UpdateSession("00000003", s => s.State = SessionState.Exited);
        Assert.Equal(1, store.CountActiveSessions());
        store.UpdateSession("00000003", s => s.State = SessionState.Starting);
        Assert.Equal(2, store.PruneEndedSessions(keep: 2));
        // The two newest ended sessions (4, 5) and every active one survive.
        Assert.Equal(["00000001", "00000003", "00000004", "00000005"], store.ListSessions().Select(s => s.Id));
    }

    [Fact]
    public void Profile_round_trips_with_store_fields_set()
    {
        using var store = Open();
        var preset = BuiltInPresets.Load().Single(p => p.Name == "orders-api");
        var added = store.Add(preset);
        Assert.Equal(1, added.Revision);
        Assert.Equal(_clock.Now.UtcDateTime, added.Created);
        Assert.Equal(DateTimeKind.Utc, added.Created.Kind);

        var read = store.Require("orders-api");
        Assert.Equal(ProfileJson.Serialize(preset), ProfileJson.Serialize(read));
        Assert.Equal((1, _clock.Now.UtcDateTime, _clock.Now.UtcDateTime), (read.Revision, read.Created, read.Updated));
    }

    [Fact]
    public void Values_are_stored_exactly_including_whitespace_and_empty_strings()
    {
        using var store = Open();
        store.Add(new Profile { Name = "ws", Env = { ["A"] = "  padded  ", ["EMPTY"] = "" }, Hooks = new HooksSpec { OnEnter = " echo hi\n" } });
        var read = store.Require("ws");
        Assert.Equal("  padded  ", read.Env["A"]);
        Assert.Equal("", read.Env["EMPTY"]);
        Assert.Equal(" echo hi\n", read.Hooks.OnEnter);
    }

    [Fact]
    public void Adding_an_existing_name_fails_clearly()
    {
        using var store = Open();
        store.Add(new Profile { Name = "a" });
        var e = Assert.Throws<ProfileAlreadyExistsException>(() => store.Add(new Profile { Name = "a" }));
        Assert.Equal("profile \"a\" already exists (choose another name, or edit the existing profile)", e.Message);
    }

    [Fact]
    public void Invalid_profiles_are_never_written()
    {
        using var store = Open();
        Assert.Throws<ProfileValidationException>(() => store.Add(new Profile { Name = "a", Limits = new LimitsSpec { Memory = "12XB" } }));
        Assert.Empty(store.List());

        var stored = store.Add(new Profile { Name = "b" });
        stored.Limits.Pids = 0;
        Assert.Throws<ProfileValidationException>(() => store.Update(stored, stored.Revision));
        Assert.Null(store.Require("b").Limits.Pids);
        Assert.Equal(1, store.Require("b").Revision);
    }

    [Fact]
    public void Store_validation_refuses_to_bind_its_own_database()
    {
        using var store = Open();
        var e = Assert.Throws<ProfileValidationException>(() => store.Add(new Profile
        {
            Name = "sneaky",
            Mounts = [new MountSpec { Type = "bind", Source = DbPath, Target = "/db" }],
        }));
        Assert.Contains("is DevShell's own database", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_advances_revision_and_keeps_created()
    {
        using var store = Open();
        var created = store.Add(new Profile { Name = "a" }).Created;
        _clock.Advance(TimeSpan.FromMinutes(5));
        var profile = store.Require("a");
        profile.Description = "edited";
        var updated = store.Update(profile, profile.Revision);
        Assert.Equal(2, updated.Revision);
        Assert.Equal(created, updated.Created);
        Assert.Equal(_clock.Now.UtcDateTime, updated.Updated);
        Assert.Equal("edited", store.Require("a").Description);
    }

    [Fact]
    public void A_stale_revision_is_a_conflict_naming_both_revisions()
    {
        using var store = Open();
        store.Add(new Profile { Name = "orders-api" });
        var mine = store.Require("orders-api");
        var theirs = store.Require("orders-api");
        theirs.Description = "theirs";
        store.Update(theirs, theirs.Revision);

        mine.Description = "mine";
        var e = Assert.Throws<ConcurrencyConflictException>(() => store.Update(mine, mine.Revision));
        Assert.Equal("profile \"orders-api\" was changed by someone else (revision 2, you edited 1); re-run the edit", e.Message);
        Assert.Equal((2, 1), (e.StoredRevision, e.ExpectedRevision));
        Assert.Equal("theirs", store.Require("orders-api").Description);
    }

    [Fact]
    public void Two_store_instances_on_one_file_see_each_others_writes_and_conflict()
    {
        using var first = Open();
        using var second = Open();
        first.Add(new Profile { Name = "a" });
        var copy = second.Require("a");
        first.Update(first.Require("a"), 1);
        Assert.Throws<ConcurrencyConflictException>(() => second.Update(copy, copy.Revision));
        Assert.Equal(2, second.Require("a").Revision);
    }

    [Fact]
    public void Update_or_delete_of_a_missing_profile_is_reported()
    {
        using var store = Open();
        var e = Assert.Throws<ProfileNotFoundException>(() => store.Update(new Profile { Name = "ghost" }, 1));
        Assert.Equal("profile \"ghost\" does not exist (see `devshell profile list`)", e.Message);
        Assert.False(store.Delete("ghost"));
        Assert.Null(store.Get("ghost"));
    }

    [Fact]
    public void Delete_checks_the_revision_when_given()
    {
        using var store = Open();
        store.Add(new Profile { Name = "a" });
        Assert.Throws<ConcurrencyConflictException>(() => store.Delete("a", expectedRevision: 7));
        Assert.True(store.Delete("a", expectedRevision: 1));
        Assert.Empty(store.List());
    }

    [Fact]
    public void Rename_moves_the_profile_and_keeps_created()
    {
        using var store = Open();
        var created = store.Add(new Profile { Name = "old" }).Created;
        store.Add(new Profile { Name = "taken" });
        _clock.Advance(TimeSpan.FromSeconds(3));
        var renamed = store.Rename("old", "new", expectedRevision: 1);
        Assert.Equal(("new", 2, created), (renamed.Name, renamed.Revision, renamed.Created));
        Assert.Null(store.Get("old"));
        Assert.Throws<ProfileAlreadyExistsException>(() => store.Rename("new", "taken"));
        Assert.Throws<ProfileValidationException>(() => store.Rename("new", "../x"));
        Assert.Throws<ProfileNotFoundException>(() => store.Rename("old", "x"));
        Assert.Equal(["new", "taken"], store.List().Select(p => p.Name));
    }

    [Fact]
    public void Clone_copies_as_a_new_profile()
    {
        using var store = Open();
        store.Add(new Profile { Name = "a", Hostname = "a", Description = "d" });
        store.Update(store.Require("a"), 1);
        var clone = store.Clone("a", "b");
        Assert.Equal(("b", 1, "d", (string?)null), (clone.Name, clone.Revision, clone.Description, clone.Hostname));
        Assert.Equal(2, store.Require("a").Revision);
    }

    [Fact]
    public void Seeding_happens_once_and_not_again_after_deleting_everything()
    {
        using var store = Open();
        var presets = BuiltInPresets.Load();
        Assert.Equal(presets.Count, store.SeedIfEmpty(presets));
        Assert.Equal(presets.Select(p => p.Name), store.List().Select(p => p.Name));
        Assert.Equal(0, store.SeedIfEmpty(presets));
        foreach (var profile in store.List())
        {
            store.Delete(profile.Name);
        }

        Assert.Equal(0, store.SeedIfEmpty(presets));
        Assert.Empty(store.List());
    }

    [Fact]
    public void Seeding_skips_a_database_that_already_has_profiles()
    {
        using var store = Open();
        store.Add(new Profile { Name = "mine" });
        Assert.Equal(0, store.SeedIfEmpty(BuiltInPresets.Load()));
        Assert.Equal(["mine"], store.List().Select(p => p.Name));
    }

    [Fact]
    public void Sessions_round_trip_and_active_ones_are_listed()
    {
        using var store = Open();
        var running = new SessionRecord
        {
            Id = SessionRecord.NewId(),
            Profile = "orders-api",
            State = SessionState.Running,
            LauncherPid = 100,
            InitPid = 101,
            Uid = 1000,
            Hostname = "orders-api",
            Namespaces = ["uts", "mount", "pid"],
            CgroupPaths = { ["memory"] = "/sys/fs/cgroup/memory/devshell/x", ["cpu,cpuacct"] = "/sys/fs/cgroup/cpu,cpuacct/devshell/x", ["name=systemd"] = "/x" },
            NetnsPath = "/run/devshell/netns/x",
            Veth = "ds-x0",
            Ip = "10.77.0.2",
            Command = ["make", "test"],
        };
        store.AddSession(running);
        store.AddSession(new SessionRecord { Id = SessionRecord.NewId(), Profile = "b", State = SessionState.Exited, ExitCode = 3 });
        var read = store.GetSession(running.Id)!;
        Assert.Equal(_clock.Now.UtcDateTime, read.StartedAt);
        Assert.Equal(running.CgroupPaths, read.CgroupPaths);
        Assert.Equal((SessionState.Running, 101, "ds-x0", "10.77.0.2"), (read.State, read.InitPid!.Value, read.Veth, read.Ip));
        Assert.Equal(["make", "test"], read.Command);
        Assert.Equal([running.Id], store.ListActiveSessions().Select(s => s.Id));

        read.State = SessionState.Exited;
        read.EndedAt = _clock.Now.UtcDateTime.AddSeconds(9);
        read.Signal = 9;
        Assert.True(store.UpdateSession(read));
        Assert.Empty(store.ListActiveSessions());
        Assert.Equal((9, read.EndedAt), (store.GetSession(running.Id)!.Signal!.Value, store.GetSession(running.Id)!.EndedAt));
        Assert.Equal(2, store.ListSessions().Count);
        Assert.Throws<StoreException>(() => store.AddSession(new SessionRecord { Id = running.Id }));
        Assert.Throws<ArgumentException>(() => store.AddSession(new SessionRecord { Id = "../x" }));
        Assert.True(store.DeleteSession(running.Id));
        Assert.Null(store.GetSession(running.Id));
    }

    [Fact]
    public void Session_ids_are_8_lowercase_hex()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.Matches("^[0-9a-f]{8}$", SessionRecord.NewId());
        }

        Assert.False(SessionRecord.IsValidId("ABCDEF12"));
    }

    [Fact]
    public void Events_are_queried_by_id_for_following()
    {
        using var store = Open();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(store.AppendEvent(new EventRecord { SessionId = i % 2 == 0 ? "s1" : "s2", Profile = "p", Kind = EventKinds.MemoryMax, Value = i, Limit = 10 }));
        }

        Assert.Equal(ids.Order(), ids);
        Assert.Equal([0L, 1, 2, 3, 4], store.QueryEvents().Select(e => e.Value!.Value));
        Assert.Equal([3L, 4], store.QueryEvents(sinceId: ids[2]).Select(e => e.Value!.Value));
        Assert.Equal([0L, 2, 4], store.QueryEvents(sessionId: "s1").Select(e => e.Value!.Value));
        Assert.Equal([2L], store.QueryEvents(sessionId: "s1", sinceId: ids[0], limit: 1).Select(e => e.Value!.Value));
        Assert.Equal([4L, 3], store.RecentEvents(2).Select(e => e.Value!.Value));
        var first = store.QueryEvents()[0];
        Assert.Equal((_clock.Now.UtcDateTime, "memory_max", 10L), (first.Time, first.Kind, first.Limit!.Value));
        Assert.Empty(store.QueryEvents(sinceId: ids[^1]));
    }

    [Fact]
    public void Ip_allocation_takes_the_lowest_free_host_address()
    {
        using var store = Open();
        Assert.Equal("10.77.0.2", store.AllocateIp("s1", Subnet).Ip);
        Assert.Equal("10.77.0.5", store.AllocateIp("s2", Subnet, reserved: [0x0A4D0003u, 0x0A4D0004u]).Ip);
        Assert.Equal("10.77.0.2", store.AllocateIp("s1", Subnet).Ip);
        Assert.Equal("10.77.0.3", store.AllocateIp("s3", Subnet).Ip);
        Assert.True(store.ReleaseIp("s1"));
        Assert.False(store.ReleaseIp("s1"));
        Assert.Equal("10.77.0.2", store.AllocateIp("s4", Subnet).Ip);
        Assert.Equal(["10.77.0.2", "10.77.0.3", "10.77.0.5"], store.ListLeases().Select(l => l.Ip));
        Assert.Equal(("s4", "10.77.0.0/24"), (store.ListLeases()[0].SessionId, store.ListLeases()[0].Subnet));
    }

    [Fact]
    public void Static_ips_are_honoured_or_refused_clearly()
    {
        using var store = Open();
        Assert.Equal("10.77.0.50", store.AllocateIp("s1", Subnet, staticIp: "10.77.0.50").Ip);
        var taken = Assert.Throws<IpAllocationException>(() => store.AllocateIp("s2", Subnet, staticIp: "10.77.0.50"));
        Assert.Equal("10.77.0.50 is already leased to session s1 (pick another network.ip, or stop that session)", taken.Message);
        var gateway = Assert.Throws<IpAllocationException>(() => store.AllocateIp("s2", Subnet, staticIp: "10.77.0.1"));
        Assert.Equal("10.77.0.1 cannot be used in 10.77.0.0/24 (pick a host address other than the network, gateway and broadcast)", gateway.Message);
        Assert.Throws<IpAllocationException>(() => store.AllocateIp("s2", Subnet, staticIp: "10.78.0.9"));
    }

    [Fact]
    public void Ip_allocation_reports_an_exhausted_subnet()
    {
        using var store = Open();
        var tiny = Ipv4Cidr.Parse("10.9.0.0/30");
        Assert.Equal("10.9.0.2", store.AllocateIp("s1", tiny).Ip);
        var e = Assert.Throws<IpAllocationException>(() => store.AllocateIp("s2", tiny));
        Assert.Equal("no free address left in 10.9.0.0/30 (1 leased); stop some sessions or run `devshell gc`", e.Message);
    }

    [Fact]
    public void Meta_values_are_kept()
    {
        using var store = Open();
        Assert.Null(store.GetMeta("bridge_subnet"));
        Assert.Equal("10.77.0.0/24", store.GetOrAddMeta("bridge_subnet", "10.77.0.0/24"));
        Assert.Equal("10.77.0.0/24", store.GetOrAddMeta("bridge_subnet", "10.88.0.0/24"));
        store.SetMeta("bridge_subnet", "10.99.0.0/24");
        Assert.Equal("10.99.0.0/24", store.GetMeta("bridge_subnet"));
    }

    [Fact]
    public void Created_files_are_private()
    {
        using (var store = Open(autoBackup: true))
        {
            store.Add(new Profile { Name = "a" });
        }

        const UnixFileMode Rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(Rw | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(DbPath)!));
        Assert.Equal(Rw, File.GetUnixFileMode(DbPath));
        Assert.Equal(Rw, File.GetUnixFileMode(DbPath + ".bak"));
    }

    [Fact]
    public void Backup_is_refreshed_only_when_stale()
    {
        using var store = Open();
        store.Add(new Profile { Name = "a" });
        Assert.True(store.Backup());
        store.Add(new Profile { Name = "b" });
        _clock.Now = File.GetLastWriteTimeUtc(store.BackupPath) + TimeSpan.FromMinutes(1);
        Assert.False(store.Backup());
        _clock.Now = File.GetLastWriteTimeUtc(store.BackupPath) + TimeSpan.FromMinutes(11);
        Assert.True(store.Backup());
        Assert.True(store.Backup(force: true));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(DbPath)!, ".devshell-backup-*"));
    }

    [Fact]
    public void Corrupt_file_is_reported_and_recover_restores_the_backup()
    {
        using (var store = Open())
        {
            store.Add(new Profile { Name = "kept" });
            store.Backup(force: true);
            store.Add(new Profile { Name = "after-backup" });
        }

        var bytes = File.ReadAllBytes(DbPath);
        new Random(7).NextBytes(bytes.AsSpan(0, Math.Min(bytes.Length, 16384)));
        File.WriteAllBytes(DbPath, bytes);

        var e = Assert.Throws<StoreCorruptedException>(() => Open());
        Assert.StartsWith($"the DevShell database {DbPath} is damaged and cannot be opened (", e.Message, StringComparison.Ordinal);
        Assert.EndsWith($"run `devshell db recover` to restore the last good copy ({DbPath}.bak); the damaged file is kept as devshell.db.corrupt-<time>", e.Message, StringComparison.Ordinal);

        var movedTo = DevShellStore.Recover(DbPath, _clock);
        Assert.Equal(DbPath + ".corrupt-20250301T120000Z", movedTo);
        Assert.True(File.Exists(movedTo));
        using var recovered = Open();
        Assert.Equal(["kept"], recovered.List().Select(p => p.Name));
    }

    [Fact]
    public void Garbage_file_without_a_backup_says_so()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        File.WriteAllText(DbPath, string.Concat(Enumerable.Repeat("this is not a database ", 2000)));
        var e = Assert.Throws<StoreCorruptedException>(() => Open());
        Assert.EndsWith($"no backup exists ({DbPath}.bak); move the damaged file away to start with an empty database", e.Message, StringComparison.Ordinal);
        var recover = Assert.Throws<StoreException>(() => DevShellStore.Recover(DbPath));
        Assert.StartsWith("no backup to recover", recover.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_profile_whose_json_no_longer_parses_is_reported_as_damage_when_read_and_spares_the_others()
    {
        using (var store = Open())
        {
            store.Add(new Profile { Name = "good" });
            store.Add(new Profile { Name = "broken" });
        }

        using (var raw = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = DbPath, Connection = LiteDB.ConnectionType.Direct }))
        {
            var profiles = raw.GetCollection("profiles");
            var doc = profiles.FindById("broken");
            doc["json"] = "{ \"name\": \"broken\", ";
            profiles.Update(doc);
        }

        // Opening reads every profile document but parses none: the other profiles stay usable.
        using var reopened = Open();
        Assert.Equal("good", reopened.Require("good").Name);
        var e = Assert.Throws<StoreCorruptedException>(() => reopened.Require("broken"));
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_is_reported_as_corrupted()
    {
        using (var store = Open())
        {
            for (var i = 0; i < 50; i++)
            {
                store.Add(new Profile { Name = $"p{i}", Description = new string('d', 900) });
            }
        }

        using (var stream = new FileStream(DbPath, FileMode.Open))
        {
            stream.SetLength(stream.Length / 3);
        }

        var e = Record.Exception(() =>
        {
            using var store = Open();
            _ = store.List();
        });
        Assert.True(e is StoreCorruptedException, e?.ToString());
    }
}
