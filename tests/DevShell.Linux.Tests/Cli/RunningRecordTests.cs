using System.Globalization;
using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>
/// A command's session is recorded as running only after a delay (one store write less for quick commands). Until then
/// its PID 1 is known from its claim file alone: stop, attach and gc must find it there. Once the store has made a copy
/// of the profile, a launch without a bridged network does not open the store at all: its Starting record and its end
/// go to the store's outbox, which every other command applies before it reads.
/// </summary>
[Collection("env")]
public sealed class RunningRecordTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private const string Plain = """{ "name": "plain", "shell": "/bin/sh", "network": { "mode": "none" } }""";

    /// <summary>Adds the profile; with <paramref name="copied"/> also reads it once, which makes the copy launches read.</summary>
    private void AddPlain(bool copied = true)
    {
        var r = _cli.RunWith(Plain, TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(r.Code == 0, r.ToString());
        if (copied) Assert.Equal(0, _cli.Run("profile", "show", "plain").Code);
    }

    private string Outbox => Path.Combine(_cli.Dir, "devshell.db.outbox");

    [Fact]
    public void A_quick_command_opens_one_store_unit_the_first_time_then_none_and_ps_shows_both_with_pid_and_events()
    {
        if (!Requires.Root(output)) return;
        AddPlain(copied: false);
        _cli.Env["DEVSHELL_TRACE"] = "1";
        var first = _cli.Run("run", "plain", "--", "true");
        var second = _cli.Run("run", "plain", "--", "sh", "-c", "exit 3");
        _cli.Env.Remove("DEVSHELL_TRACE");
        Assert.True(first.Code == 0, first.ToString());
        Assert.True(second.Code == 3, second.ToString());
        // The first reads the profile from the store (and leaves a copy); its Starting record and its end wait in the
        // outbox like the second's.
        Assert.True(first.Err.Contains("devshell-trace: store-units 1\n", StringComparison.Ordinal), first.Err);
        Assert.Contains("devshell-trace: store-units 0\n", second.Err, StringComparison.Ordinal);
        Assert.Equal(4, Directory.GetFiles(Outbox, "*.json").Length);

        using var ps = JsonDocument.Parse(_cli.Run("ps", "--all", "--json").Out);
        Assert.Empty(Directory.GetFiles(Outbox));
        var sessions = ps.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        Assert.Equal([0, 3], sessions.Select(s => s.GetProperty("exit_code").GetInt32()));
        foreach (var session in sessions)
        {
            Assert.Equal("exited", session.GetProperty("state").GetString());
            Assert.True(session.GetProperty("init_pid").GetInt32() > 1, session.ToString());
            string id = session.GetProperty("id").GetString()!;
            var events = _cli.Run("events", "--session", id, "--json");
            Assert.True(events.Code == 0, events.ToString());
            // One JSON object per line, oldest first.
            var kinds = events.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString())
                .ToList();
            Assert.Equal(["started", "exited"], kinds);
        }
    }

    [Fact]
    public void Under_sudo_the_developer_owns_the_outbox_and_their_own_ps_applies_what_roots_launches_queued()
    {
        if (!Requires.Root(output)) return;
        using var user = new TestUser();
        foreach (var (k, v) in user.SudoEnv) _cli.Env[k] = v!;
        TestUser.Run("chown", $"{user.Uid}:{user.Gid}", _cli.Dir); // the database's directory is the developer's
        AddPlain();
        var run = _cli.Run("run", "plain", "--", "sh", "-c", "exit 4");
        Assert.True(run.Code == 4, run.ToString());
        Assert.Equal(2, Directory.GetFiles(Outbox, "*.json").Length); // Starting and the end, queued by root
        Assert.Equal(user.Uid.ToString(CultureInfo.InvariantCulture), TestUser.Run("stat", "-c", "%u", Outbox).Trim());

        var ps = _cli.RunAs(user, "ps", "--all", "--json");
        Assert.True(ps.Code == 0, ps.ToString());
        using var doc = JsonDocument.Parse(ps.Out);
        var session = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("exited", session.GetProperty("state").GetString());
        Assert.Equal(4, session.GetProperty("exit_code").GetInt32());
        Assert.Empty(Directory.GetFiles(Outbox));
    }

    [Fact]
    public void A_profile_changed_between_two_launches_is_the_one_the_second_launch_runs()
    {
        if (!Requires.Root(output)) return;
        AddPlain();
        var before = _cli.Run("run", "plain", "--", "sh", "-c", "echo \"[$STAGE]\"");
        Assert.True(before.Code == 0, before.ToString());
        Assert.Contains("[]", before.Out, StringComparison.Ordinal);

        Assert.Equal(0, _cli.Run("profile", "rm", "plain").Code);
        var add = _cli.RunWith("""{ "name": "plain", "shell": "/bin/sh", "network": { "mode": "none" }, "env": { "STAGE": "two" } }""",
            TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(add.Code == 0, add.ToString());
        var after = _cli.Run("run", "plain", "--", "sh", "-c", "echo \"[$STAGE]\"");
        Assert.True(after.Code == 0, after.ToString());
        Assert.Contains("[two]", after.Out, StringComparison.Ordinal);

        Assert.Equal(0, _cli.Run("profile", "rm", "plain").Code);
        var gone = _cli.Run("run", "plain", "--", "true");
        Assert.NotEqual(0, gone.Code);
        Assert.Contains("plain", gone.Err, StringComparison.Ordinal);

        // A deleted database file takes its profiles along, even with their copies still next to it.
        AddPlain();
        Assert.Equal(0, _cli.Run("run", "plain", "--", "true").Code);
        File.Delete(_cli.DbPath);
        File.Delete(Path.Combine(_cli.Dir, "devshell-log.db"));
        var fresh = _cli.Run("run", "plain", "--", "true");
        Assert.NotEqual(0, fresh.Code);
        Assert.Contains("plain", fresh.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_not_yet_recorded_as_running_can_be_attached_to_and_stopped()
    {
        if (!Requires.Root(output)) return;
        AddPlain();
        _cli.Env["DEVSHELL_RUNNING_RECORD_DELAY_MS"] = "600000";
        using var running = _cli.Start(["run", "plain", "--", "sleep", "120"]);
        try
        {
            string id = WaitForReadyInClaim(out int init);
            Assert.Equal("starting", State(id));

            var attach = _cli.Run("attach", id, "--", "cat", "/proc/1/comm");
            Assert.True(attach.Code == 0, attach.ToString());
            Assert.Contains("devshell-stage2", attach.Out, StringComparison.Ordinal);

            var stop = _cli.Run("stop", id);
            Assert.True(stop.Code == 0, stop.ToString());
            Assert.True(running.WaitForExit(20_000), "the launcher did not end after stop");
            Assert.Equal(137, running.ExitCode);
            Assert.True(Gone(init), $"PID 1 ({init}) outlived stop");
            Assert.Equal("stopped", State(id));
            Assert.Empty(_cli.LeftoverCgroups());
        }
        finally
        {
            if (!running.HasExited) running.Kill();
        }
    }

    [Fact]
    public void Kill_9_of_the_launcher_before_the_running_record_then_gc_ends_the_env()
    {
        if (!Requires.Root(output)) return;
        AddPlain();
        _cli.Env["DEVSHELL_RUNNING_RECORD_DELAY_MS"] = "600000";
        using var running = _cli.Start(["run", "plain", "--", "sleep", "120"]);
        string id;
        int init;
        try
        {
            id = WaitForReadyInClaim(out init);
        }
        finally
        {
            running.Kill(); // SIGKILL to the launcher only: the env keeps running, recorded as starting
            running.WaitForExit(10_000);
        }
        Assert.False(Gone(init), "the env died with its launcher: this test no longer checks gc");

        var gc = _cli.Run("gc");
        output.WriteLine(gc.ToString());
        Assert.Equal(0, gc.Code);
        Assert.Contains($"ended session {id}", gc.Out, StringComparison.Ordinal);
        Assert.True(Gone(init), $"gc left PID 1 ({init}) of {id} running");
        Assert.Empty(_cli.LeftoverCgroups());
        Assert.False(File.Exists(Path.Combine(_cli.Dir, "run", "sessions", id + ".claim")));
    }

    /// <summary>
    /// With its claim, the next launch's cheap pass finds the dead launcher (checked before anything else reads the
    /// store). Without it (a reboot empties the run dir), the record alone tells, and the next command that reads the
    /// store (here `ps`) ends it: a launch that reads no store cannot see it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_env_whose_launcher_died_is_ended_by_the_next_launch_or_without_its_claim_file_by_the_next_ps(bool claimLost)
    {
        if (!Requires.Root(output)) return;
        AddPlain();
        using var running = _cli.Start(["run", "plain", "--", "sleep", "120"]);
        string id;
        int init;
        try
        {
            id = WaitForReadyInClaim(out init);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (State(id) != "running" && DateTime.UtcNow < deadline) Thread.Sleep(50);
            Assert.Equal("running", State(id));
        }
        finally
        {
            running.Kill(); // SIGKILL to the launcher only
            running.WaitForExit(10_000);
        }
        // A reboot empties the run dir: the record is then all that is left of the session.
        if (claimLost) File.Delete(Path.Combine(_cli.Dir, "run", "sessions", id + ".claim"));

        var next = _cli.Run("run", "plain", "--", "true"); // no gc: the launch's own cheap pass must find it
        Assert.True(next.Code == 0, next.ToString());
        if (!claimLost) Assert.True(Gone(init), $"the next launch left PID 1 ({init}) of {id} running");
        Assert.Equal("exited", State(id));
        Assert.True(Gone(init), $"ps left PID 1 ({init}) of {id} running");
        Assert.Empty(_cli.LeftoverCgroups());
    }

    /// <summary>Waits until a session's claim names its PID 1 (stage two is ready), and returns the session id.</summary>
    private string WaitForReadyInClaim(out int init)
    {
        string dir = Path.Combine(_cli.Dir, "run", "sessions");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var claim in Directory.Exists(dir) ? Directory.GetFiles(dir, "*.claim") : [])
            {
                string? line;
                try
                {
                    line = File.ReadAllLines(claim).FirstOrDefault(l => l.StartsWith("init ", StringComparison.Ordinal));
                }
                catch (IOException)
                {
                    continue;
                }
                if (line is null) continue;
                init = int.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                return Path.GetFileNameWithoutExtension(claim);
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException("no session claimed its PID 1 within 20 s");
    }

    private string State(string id)
    {
        using var ps = JsonDocument.Parse(_cli.Run("ps", "--all", "--json").Out);
        return ps.RootElement.EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetProperty("state").GetString()!;
    }

    /// <summary>The process has exited (gone, or a zombie waiting for its parent to reap it).</summary>
    private static bool Gone(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
