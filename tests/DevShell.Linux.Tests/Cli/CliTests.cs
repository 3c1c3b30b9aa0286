using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>The devshell binary as a user and a CI job use it: exit codes, verdicts, attach, stop, gc after kill -9.</summary>
[Collection("env")]
public sealed class CliTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private void AddProfile(string json)
    {
        var r = _cli.RunWith(json, TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(r.Code == 0, r.ToString());
    }

    private const string Plain = """{ "name": "plain", "shell": "/bin/sh", "network": { "mode": "none" } }""";

    [Fact]
    public void Run_passes_the_exit_code_and_output_through()
    {
        if (!Requires.Root(output)) return;
        AddProfile(Plain);
        var r = _cli.Run("run", "plain", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal(7, r.Code);
        Assert.Equal("out\n", r.Out);
        Assert.Contains("err", r.Err, StringComparison.Ordinal);
        Assert.Empty(_cli.LeftoverCgroups());
    }

    [Fact]
    public void A_profile_that_cannot_be_honoured_fails_before_anything_is_created()
    {
        if (!Requires.Root(output)) return;
        AddProfile("""{ "name": "nowork", "shell": "/bin/sh", "workdir": "/var/tmp/does-not-exist-dstest", "network": { "mode": "none" } }""");
        var r = _cli.Run("run", "nowork", "--", "true");
        Assert.Equal(2, r.Code);
        Assert.Contains("profile \"nowork\": workdir \"/var/tmp/does-not-exist-dstest\" does not exist on this host", r.Err, StringComparison.Ordinal);
        Assert.Empty(_cli.LeftoverCgroups());
        Assert.Equal("[]", _cli.Run("ps", "--json").Out.Trim());
    }

    [Fact]
    public void Gc_and_stop_all_on_a_database_with_nothing_running_succeed_without_choosing_a_subnet()
    {
        if (!Requires.Root(output)) return;
        var gc = _cli.Run("gc");
        Assert.True(gc.Code == 0, gc.ToString());
        var stop = _cli.Run("stop", "--all");
        Assert.True(stop.Code == 0, stop.ToString());
        Assert.Contains("nothing running", stop.Out, StringComparison.Ordinal);
        // gc only read the network objects: no bridge was created and no subnet was claimed for this database.
        Assert.False(Directory.Exists($"/sys/class/net/{_cli.Bridge}"));
    }

    [Fact]
    public void Unknown_profile_exits_3_and_names_it()
    {
        var r = _cli.Run("run", "no-such-profile", "--", "true");
        Assert.Equal(3, r.Code);
        Assert.Contains("no-such-profile", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_file_and_fail_on_violation_report_an_oom_kill()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        AddProfile("""{ "name": "small", "shell": "/bin/sh", "network": { "mode": "none" }, "limits": { "memory": "64M", "swap": "0" } }""");
        string verdictPath = Path.Combine(_cli.Dir, "verdict.json");
        // The allocation is OOM-killed; the shell then exits 0, so only --fail-on-violation makes the run fail.
        var r = _cli.Run("run", "small", "--fail-on-violation", "--status-file", verdictPath, "--",
            "sh", "-c", "python3 -c 'b=bytearray(256*1024*1024)'; echo killed=$?");
        output.WriteLine(r.ToString());
        Assert.Equal(7, r.Code);
        Assert.Contains("killed=137", r.Out, StringComparison.Ordinal);
        using var verdict = JsonDocument.Parse(File.ReadAllText(verdictPath));
        var root = verdict.RootElement;
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.True(root.GetProperty("oom_killed").GetBoolean());
        Assert.True(root.GetProperty("memory_peak_bytes").GetInt64() > 32L * 1024 * 1024);
        Assert.Contains(root.GetProperty("violations").EnumerateArray(), v => v.GetProperty("kind").GetString() == "oom_kill" && v.GetProperty("limit").GetInt64() == 64L * 1024 * 1024);
        var events = _cli.Run("events", "--json");
        Assert.Contains("\"kind\":\"oom_kill\"", events.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Top_shows_memory_climbing_until_the_oom_kill_and_the_host_is_unaffected()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        AddProfile("""{ "name": "grow", "shell": "/bin/sh", "network": { "mode": "none" }, "limits": { "memory": "64M", "swap": "0" } }""");
        using var running = _cli.Start(["run", "grow", "--", "python3", "-c",
            "import time\nb=[]\nfor i in range(40):\n  b.append(bytearray(4*1024*1024)); time.sleep(0.4)"]);
        var readings = new List<long>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!running.HasExited && DateTime.UtcNow < deadline)
        {
            var top = _cli.Run("top", "--json", "--once");
            using var doc = JsonDocument.Parse(top.Out.Length == 0 ? "[]" : top.Out);
            foreach (var row in doc.RootElement.EnumerateArray())
            {
                if (row.GetProperty("profile").GetString() == "grow" && row.TryGetProperty("memory_bytes", out var m)) readings.Add(m.GetInt64());
            }
        }
        Assert.True(running.WaitForExit(30_000));
        output.WriteLine("memory readings: " + string.Join(", ", readings));
        Assert.Equal(128 + 9, running.ExitCode); // python3 was the command: OOM-killed
        Assert.True(readings.Count >= 2, $"top gave {readings.Count} reading(s)");
        Assert.True(readings[^1] > readings[0], "memory did not climb");
        Assert.All(readings, r => Assert.True(r <= 64L * 1024 * 1024, $"{r} is over the limit"));
        Assert.Contains("\"kind\":\"oom_kill\"", _cli.Run("events", "--json").Out, StringComparison.Ordinal);
        Assert.Equal(0, _cli.Run("profile", "list").Code); // the host (and devshell) carry on
    }

    [Fact]
    public void Attach_joins_the_same_pid_namespace_and_stop_ends_the_env()
    {
        if (!Requires.Root(output)) return;
        AddProfile(Plain);
        using var running = _cli.Start(["run", "plain", "--", "sh", "-c", "echo $$ > /dev/null; exec sleep 300"]);
        string id = WaitForSession();
        // "running" means stage two is ready; the command may still be exec'ing: give it up to 5 s to show up.
        var attached = _cli.Run("attach", id, "--", "sh", "-c",
            "for i in $(seq 50); do ps -e -o comm= | grep -q sleep && break; sleep 0.1; done; ps -e -o comm= | sort | tr '\\n' ' '; hostname");
        output.WriteLine(attached.ToString());
        Assert.Equal(0, attached.Code);
        Assert.Contains("sleep", attached.Out, StringComparison.Ordinal);
        Assert.Contains("devshell-stage2", attached.Out, StringComparison.Ordinal);
        Assert.EndsWith("plain", attached.Out.Trim(), StringComparison.Ordinal);

        var stop = _cli.Run("stop", id);
        Assert.Equal(0, stop.Code);
        Assert.True(running.WaitForExit(10_000), "the launcher did not end after stop");
        Assert.Equal(128 + 9, running.ExitCode);
        Assert.Empty(_cli.LeftoverCgroups());
    }

    [Fact]
    public void Kill_9_of_the_launcher_then_gc_leaves_nothing()
    {
        if (!Requires.Root(output)) return;
        AddProfile(Plain);
        using var running = _cli.Start(["run", "plain", "--", "sleep", "300"]);
        string id = WaitForSession();
        running.Kill(); // SIGKILL
        running.WaitForExit(5000);
        var gc = _cli.Run("gc");
        output.WriteLine(gc.ToString());
        Assert.Equal(0, gc.Code);
        Assert.Contains($"ended session {id}", gc.Out, StringComparison.Ordinal);
        Assert.Empty(_cli.LeftoverCgroups());
        Assert.Equal("[]", _cli.Run("ps", "--json").Out.Trim());
        Assert.False(File.Exists(Path.Combine(_cli.Dir, "run", "sessions", id + ".spec")));
    }

    [Fact]
    public void A_fork_bomb_is_contained_by_pids_max_recorded_and_the_env_stays_usable()
    {
        if (!Requires.Root(output)) return;
        AddProfile("""{ "name": "bounded", "shell": "/bin/sh", "network": { "mode": "none" }, "limits": { "pids": 32 } }""");
        // A bounded fork bomb: each level forks two more, for 2 s at most; it hits the limit long before. A level whose
        // fork failed returns early and its children are orphaned to PID 1, so a few may outlive the top-level `wait`
        // by up to the 2 s deadline: the env counts as usable when a new process starts within a few seconds of it.
        var r = _cli.RunWith(null, TimeSpan.FromSeconds(60), "run", "bounded", "--", "sh", "-c",
            "end=$(($(date +%s)+2)); bomb() { [ $(date +%s) -ge $end ] && return; bomb & bomb & wait; }; bomb 2>/dev/null; wait; echo still-usable; "
            + "for i in 1 2 3 4 5 6; do ls / > /dev/null 2>&1 && echo ls-ok && exit 0; sleep 1; done; exit 1");
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.Code);
        Assert.Contains("still-usable\nls-ok", r.Out, StringComparison.Ordinal);
        var events = _cli.Run("events", "--json");
        Assert.Contains("\"kind\":\"pids_max\"", events.Out, StringComparison.Ordinal);
        Assert.Contains("\"limit\":32", events.Out, StringComparison.Ordinal);
        Assert.Empty(_cli.LeftoverCgroups());
    }

    [Fact]
    public void Two_parallel_profile_edits_never_lose_an_update_silently()
    {
        AddProfile(Plain);
        // Each "editor" waits so both have read revision 1 before either saves.
        string editor = Path.Combine(_cli.Dir, "edit.sh");
        File.WriteAllText(editor, """
            #!/bin/sh
            sleep 2
            sed -i "s/\"name\": \"plain\",/\"name\": \"plain\", \"description\": \"$WHO\",/" "$1"
            """ + "\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _cli.Env["EDITOR"] = editor;
        _cli.Env["WHO"] = "first";
        using var first = _cli.Start(["profile", "edit", "plain"], redirectStdin: true);
        _cli.Env["WHO"] = "second";
        using var second = _cli.Start(["profile", "edit", "plain"], redirectStdin: true);
        first.StandardInput.Close();
        second.StandardInput.Close();
        Assert.True(first.WaitForExit(30_000) && second.WaitForExit(30_000));
        var results = new[] { (first.ExitCode, first.StandardError.ReadToEnd()), (second.ExitCode, second.StandardError.ReadToEnd()) };
        output.WriteLine(string.Join("\n", results.Select(x => $"{x.Item1}: {x.Item2}")));
        Assert.Single(results, x => x.Item1 == 0);
        var loser = Assert.Single(results, x => x.Item1 == 4);
        Assert.Contains("was changed by someone else", loser.Item2, StringComparison.Ordinal);
        var show = _cli.Run("profile", "show", "plain", "--json");
        Assert.Contains("\"revision\": 2", show.Out, StringComparison.Ordinal);
        Assert.Matches("\"description\": \"(first|second)\"", show.Out);
    }

    private string WaitForSession()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var ps = _cli.Run("ps", "--json");
            using var doc = JsonDocument.Parse(ps.Out);
            foreach (var s in doc.RootElement.EnumerateArray())
            {
                if (s.GetProperty("state").GetString() == "running") return s.GetProperty("id").GetString()!;
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException("no running session appeared");
    }
}
