using DevShell.Core.Events;
using DevShell.Core.Sessions;
using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;

namespace DevShell.Core.Tests.Storage;

/// <summary>
/// The outbox: session changes posted as files without the store's lock, applied in order by the next unit of work of
/// any store instance (a second instance stands in for another process), exactly as a direct write would be.
/// </summary>
public sealed class StoreOutboxTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "devshell.db");

    private DevShellStore Open() => DevShellStore.Open(DbPath, new StoreOptions { AutoBackup = false });

    private static SessionRecord Starting(string id) => new()
    {
        Id = id,
        Profile = "svc",
        State = SessionState.Starting,
        LauncherPid = 4242,
        StartedAt = new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc),
        Command = ["make", "test"],
    };

    private static SessionChange Ran(string id, int seq, int code) => new()
    {
        SessionId = id,
        Seq = seq,
        Running = new RunningFacts(777, null, new Dictionary<string, string> { ["memory"] = "/sys/fs/cgroup/memory/x" }, null, null, null),
        Ended = new EndFacts(SessionState.Exited, code, new DateTime(2026, 11, 23, 10, 0, 1, DateTimeKind.Utc)),
        Events =
        [
            new EventRecord { Time = DateTime.UtcNow, SessionId = id, Profile = "svc", Kind = EventKinds.Started, Message = "pid 777" },
            new EventRecord { Time = DateTime.UtcNow, SessionId = id, Profile = "svc", Kind = EventKinds.Exited, Message = $"exit code {code}", Value = code },
        ],
        ReleaseIp = true,
    };

    [Fact]
    public void Posted_changes_are_applied_in_order_by_the_next_unit_of_another_instance_and_then_removed()
    {
        using var launcher = Open();
        using var reader = Open();
        launcher.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });
        launcher.Outbox.Post(Ran("0000abcd", 2, 3));
        Assert.Equal(2, Directory.GetFiles(launcher.Outbox.Directory, "*.json").Length);

        var s = reader.GetSession("0000abcd");

        Assert.NotNull(s);
        Assert.Equal(SessionState.Exited, s.State);
        Assert.Equal(3, s.ExitCode);
        Assert.Equal(777, s.InitPid);
        Assert.Equal(["make", "test"], s.Command);
        Assert.Equal("/sys/fs/cgroup/memory/x", s.CgroupPaths["memory"]);
        Assert.Equal(new DateTime(2026, 11, 23, 10, 0, 1, DateTimeKind.Utc), s.EndedAt);
        Assert.Equal([EventKinds.Started, EventKinds.Exited], reader.QueryEvents("0000abcd").Select(e => e.Kind));
        Assert.Empty(Directory.GetFiles(launcher.Outbox.Directory));
        Assert.Equal(2, reader.OutboxApplied);
    }

    [Fact]
    public void A_change_applied_again_after_a_crash_before_its_file_was_removed_changes_nothing()
    {
        using var store = Open();
        store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });
        store.Outbox.Post(Ran("0000abcd", 2, 0));
        string ended = Directory.GetFiles(store.Outbox.Directory, "*.000002.json").Single();
        string copy = File.ReadAllText(ended);
        Assert.Equal(2, store.QueryEvents("0000abcd").Count);

        File.WriteAllText(ended, copy); // as if the unit committed and the process died before the delete
        store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });

        var s = store.GetSession("0000abcd");
        Assert.Equal(SessionState.Exited, s!.State);
        Assert.Equal(2, store.QueryEvents("0000abcd").Count);
        Assert.Empty(Directory.GetFiles(store.Outbox.Directory));
    }

    [Fact]
    public void A_stop_applied_before_a_posted_end_keeps_the_session_stopped_with_the_commands_exit_code()
    {
        using var store = Open();
        store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });
        // devshell stop: reads the session (the unit applies the Starting record first), then marks it stopped.
        Assert.True(store.UpdateSession("0000abcd", r =>
        {
            r.State = SessionState.Stopped;
            r.EndedAt = new DateTime(2026, 11, 23, 10, 0, 0, 500, DateTimeKind.Utc);
        }));
        store.Outbox.Post(Ran("0000abcd", 2, 137)); // the launcher saw PID 1 die of the stop's SIGKILL

        var s = store.GetSession("0000abcd")!;
        Assert.Equal(SessionState.Stopped, s.State);
        Assert.Equal(new DateTime(2026, 11, 23, 10, 0, 0, 500, DateTimeKind.Utc), s.EndedAt);
        Assert.Equal(137, s.ExitCode);
        Assert.Equal(9, s.Signal);
    }

    [Fact]
    public void Posts_made_during_a_batch_are_counted_and_listed_by_the_calls_that_read_active_sessions()
    {
        using var store = Open();
        using var other = Open();
        using (store.Batch())
        {
            Assert.Equal(0, store.CountActiveSessions());
            other.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });
            Assert.Equal(1, store.CountActiveSessions());
            Assert.Equal("0000abcd", Assert.Single(store.ListActiveSessions()).Id);
        }
    }

    [Fact]
    public void The_end_releases_the_sessions_ip_lease_when_it_is_applied()
    {
        using var store = Open();
        var subnet = DevShell.Core.Networking.Ipv4Cidr.Parse("10.77.0.0/16");
        store.Apply(new SessionChange { SessionId = "0000abcd", Add = Starting("0000abcd") });
        string ip = store.AllocateIp("0000abcd", subnet).Ip;
        store.Outbox.Post(Ran("0000abcd", 1, 0));

        Assert.DoesNotContain(store.ListLeases(), l => l.Ip == ip);
    }

    [Fact]
    public void A_damaged_change_is_set_aside_and_reported_and_the_others_are_applied()
    {
        using var store = Open();
        store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 1, Add = Starting("0000abcd") });
        File.WriteAllText(Path.Combine(store.Outbox.Directory, "0000abcd.000002.json"), "{\"session\": \"0000abcd\", \"seq\": ");

        Assert.Equal(SessionState.Starting, store.GetSession("0000abcd")!.State);
        Assert.Equal(["0000abcd.000002.json.bad"], Directory.GetFiles(store.Outbox.Directory).Select(Path.GetFileName));
        Assert.Contains(store.RecentEvents(), e => e.Kind == EventKinds.Gc && e.Message!.Contains("0000abcd.000002.json.bad", StringComparison.Ordinal));
    }

    [Fact]
    public void A_change_for_a_session_that_is_gone_is_dropped()
    {
        using var store = Open();
        store.Outbox.Post(Ran("0000abcd", 2, 0)); // its Starting record was applied, then the session pruned

        Assert.Null(store.GetSession("0000abcd"));
        Assert.Empty(Directory.GetFiles(store.Outbox.Directory));
        Assert.Empty(store.QueryEvents("0000abcd"));
    }

    [Fact]
    public void A_post_is_refused_for_a_bad_session_id_or_sequence()
    {
        using var store = Open();
        Assert.Throws<ArgumentException>(() => store.Outbox.Post(new SessionChange { SessionId = "../../x", Seq = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = 0 }));
        Assert.Empty(Directory.GetFiles(store.Outbox.Directory));
    }

    [Fact]
    public void HoldsAtLeast_counts_only_posted_changes()
    {
        using var store = Open();
        Assert.False(store.Outbox.HoldsAtLeast(1));
        for (int i = 1; i <= 3; i++) store.Outbox.Post(new SessionChange { SessionId = "0000abcd", Seq = i });
        File.WriteAllText(Path.Combine(store.Outbox.Directory, ".0000abcd.000009.tmp"), "");

        Assert.True(store.Outbox.HoldsAtLeast(3));
        Assert.False(store.Outbox.HoldsAtLeast(4));
    }
}
