using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Proof;

/// <summary>
/// The short version of scripts/concurrency.sh: profile writers and env launchers share one database for ~20 s;
/// then no successful edit may be lost (each appends its own marker through the revision-checked `profile edit`),
/// no address may be held by two running envs at once, the database must open and nothing may be left behind.
/// </summary>
[Collection("env")]
public sealed class ConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 4;
    private const int Launchers = 4;
    private const int SharedProfiles = 2;
    private static readonly TimeSpan Work = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(60);

    private readonly ProofEnv _env = new();
    private readonly ConcurrentBag<string> _errors = [];

    public void Dispose() => _env.Dispose();

    [Fact]
    public void Writers_and_launchers_at_once_lose_no_update_share_no_IP_and_leave_nothing()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output) || !Requires.Command("python3", output)) return;
        string dir = _env.Cli.Dir;
        string editor = Path.Combine(dir, "editor.sh");
        File.WriteAllText(editor, """
            #!/bin/sh
            sleep "0.$(( 3 + $(od -An -N1 -tu1 /dev/urandom) % 5 ))"
            exec python3 - "$1" <<'PY'
            import json, os, sys
            p = sys.argv[1]
            j = json.load(open(p))
            j["description"] = (j.get("description") or "") + " " + os.environ["MARK"]
            json.dump(j, open(p, "w"))
            PY

            """);
        string envCmd = Path.Combine(dir, "envcmd.sh");
        File.WriteAllText(envCmd, """
            #!/bin/sh
            log=$1; secs=$2
            addr=$(ip -4 -o addr show scope global | awk '{print $4}' | head -1)
            echo "start $(date +%s%N) $DEVSHELL_SESSION ${addr%/*}" >>"$log"
            sleep "$secs"
            echo "end $(date +%s%N) $DEVSHELL_SESSION" >>"$log"

            """);
        foreach (var f in new[] { editor, envCmd }) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Add("""{ "name": "conc-bridge", "shell": "/bin/sh", "network": { "mode": "bridge" }, "limits": { "memory": "256M", "pids": 64 } }""");
        for (int s = 0; s < SharedProfiles; s++) Add($$"""{ "name": "shared-{{s}}", "shell": "/bin/sh", "network": { "mode": "none" }, "description": "base" }""");

        var committed = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        int conflicts = 0;
        var own = new ConcurrentDictionary<string, string?>(); // name -> expected description, null = deleted
        var deadline = DateTime.UtcNow + Work;
        var clock = Stopwatch.StartNew();

        var threads = new List<Thread>();
        for (int w = 1; w <= Writers; w++)
        {
            int writer = w;
            threads.Add(new Thread(() => Guard(() => Writer(writer, editor, deadline, committed, ref conflicts, own))));
        }
        for (int l = 1; l <= Launchers; l++)
        {
            int launcher = l;
            threads.Add(new Thread(() => Guard(() => Launcher(launcher, envCmd, deadline))));
        }
        threads.ForEach(t => t.Start());
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(150)), "a worker did not finish within 150 s of the start");
        output.WriteLine($"work done in {clock.Elapsed.TotalSeconds:0} s");

        // The database opens and every committed marker is in the final text; no marker appears without a commit.
        var export = _env.Run("profile", "export");
        Assert.True(export.Code == 0, export.ToString());
        using var doc = JsonDocument.Parse(export.Out);
        var final = doc.RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.TryGetProperty("description", out var d) ? d.GetString() : null);
        int commits = committed.Values.Sum(b => b.Count);
        output.WriteLine($"edits committed {commits}, refused with a conflict {conflicts}; own profiles {own.Count}");
        Assert.True(commits > 0, "no edit was committed");
        for (int s = 0; s < SharedProfiles; s++)
        {
            string name = $"shared-{s}";
            var words = (final[name] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(x => x != "base").ToHashSet();
            var want = committed.TryGetValue(name, out var bag) ? bag.ToHashSet() : [];
            Assert.True(want.IsSubsetOf(words), $"{name}: lost updates {string.Join(' ', want.Except(words))} (final: {final[name]})");
            Assert.True(words.IsSubsetOf(want), $"{name}: markers without a committed edit {string.Join(' ', words.Except(want))}");
        }
        foreach (var (name, desc) in own)
        {
            if (desc is null) Assert.False(final.ContainsKey(name), $"{name} was deleted but is still there");
            else Assert.True(final.TryGetValue(name, out var got) && got == desc, $"{name}: expected description {desc}, found {(final.TryGetValue(name, out var g) ? g : "(missing)")}");
        }

        CheckNoDuplicateIps(dir);
        Assert.True(_errors.IsEmpty, "operations failed:\n" + string.Join('\n', _errors.Take(20)));

        Assert.Equal(0, _env.Run("gc").Code);
        var left = _env.Leftovers();
        output.WriteLine("left: " + ProofEnv.Describe(left));
        Assert.True(left.Values.All(v => v == 0), "objects left behind: " + ProofEnv.Describe(left));
        Assert.Equal(0, _env.Run("net", "down", "--force").Code);
        Assert.Empty(_env.MountsUnderRunDir());
    }

    private void Add(string json)
    {
        var r = _env.Run(TimeSpan.FromSeconds(30), null, json, "profile", "add", "-");
        Assert.True(r.Code == 0, r.ToString());
    }

    private void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            _errors.Add(e.ToString());
        }
    }

    private void Writer(int w, string editor, DateTime deadline, ConcurrentDictionary<string, ConcurrentBag<string>> committed, ref int conflicts, ConcurrentDictionary<string, string?> own)
    {
        var rng = new Random();
        var mine = new List<string>();
        for (int n = 1; DateTime.UtcNow < deadline; n++)
        {
            int r = rng.Next(10);
            if (r < 6 || (mine.Count == 0 && r >= 8))
            {
                string p = $"shared-{rng.Next(SharedProfiles)}";
                string mark = $"{w}.{n}";
                var res = _env.Run(OpTimeout, new Dictionary<string, string> { ["EDITOR"] = editor, ["VISUAL"] = "", ["MARK"] = mark }, "", "profile", "edit", p);
                if (res.Code == 0) committed.GetOrAdd(p, _ => []).Add(mark);
                else if (res.Code == 4) Interlocked.Increment(ref conflicts);
                else _errors.Add($"writer {w}: profile edit {p}: {res}");
            }
            else if (r < 8)
            {
                string name = $"cw{w}-{n}";
                var res = _env.Run(OpTimeout, null, $$"""{ "name": "{{name}}", "shell": "/bin/sh", "network": { "mode": "none" }, "description": "v0" }""", "profile", "add", "-");
                if (res.Code == 0)
                {
                    mine.Add(name);
                    own[name] = "v0";
                }
                else _errors.Add($"writer {w}: profile add {name}: {res}");
            }
            else
            {
                string victim = mine[rng.Next(mine.Count)];
                if (rng.Next(2) == 0)
                {
                    var res = _env.Run(OpTimeout, null, null, "profile", "rm", victim);
                    if (res.Code == 0)
                    {
                        mine.Remove(victim);
                        own[victim] = null;
                    }
                    else _errors.Add($"writer {w}: profile rm {victim}: {res}");
                }
                else
                {
                    string desc = "v" + n.ToString(CultureInfo.InvariantCulture);
                    var res = _env.Run(OpTimeout, null, $$"""{ "name": "{{victim}}", "shell": "/bin/sh", "network": { "mode": "none" }, "description": "{{desc}}" }""", "profile", "import", "--replace", "-");
                    if (res.Code == 0) own[victim] = desc;
                    else _errors.Add($"writer {w}: profile import --replace {victim}: {res}");
                }
            }
        }
    }

    private void Launcher(int l, string envCmd, DateTime deadline)
    {
        var rng = new Random();
        string log = Path.Combine(_env.Cli.Dir, $"env.{l}.log");
        while (DateTime.UtcNow < deadline)
        {
            if (rng.Next(2) == 0)
            {
                var res = _env.Run(OpTimeout, null, null, "run", "conc-bridge", "--", envCmd, log, "1");
                if (res.Code != 0) _errors.Add($"launcher {l}: run: {res}");
                continue;
            }
            int before = StartLines(log).Count;
            using var front = _env.Start(["run", "conc-bridge", "--", envCmd, log, "60"]);
            var stderr = front.StandardError.ReadToEndAsync();
            _ = front.StandardOutput.ReadToEndAsync();
            string? id = null;
            var wait = Stopwatch.StartNew();
            while (id is null && wait.Elapsed < TimeSpan.FromSeconds(30) && !front.HasExited)
            {
                var starts = StartLines(log);
                if (starts.Count > before) id = starts[^1].Split(' ')[2];
                else Thread.Sleep(100);
            }
            if (id is null)
            {
                if (!front.HasExited) front.Kill();
                front.WaitForExit(10_000);
                _errors.Add($"launcher {l}: the env did not start in 30 s: {stderr.Result}");
                continue;
            }
            Thread.Sleep(rng.Next(1000));
            File.AppendAllText(log, $"stop {UnixNowNs()} {id}\n");
            var stop = _env.Run(OpTimeout, null, null, "stop", id);
            if (!front.WaitForExit(30_000))
            {
                front.Kill();
                _errors.Add($"launcher {l}: run did not end within 30 s of devshell stop {id}");
                continue;
            }
            if (stop.Code != 0 || front.ExitCode != 137) _errors.Add($"launcher {l}: stop {id}: {stop}; run exited {front.ExitCode}: {stderr.Result}");
        }
    }

    private static List<string> StartLines(string log)
    {
        try
        {
            return File.Exists(log) ? [.. File.ReadAllLines(log).Where(x => x.StartsWith("start ", StringComparison.Ordinal))] : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>The same clock as `date +%s%N` inside the envs (the realtime clock is not namespaced).</summary>
    private static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>Each env logs from inside its address and when it started and ended (or was stopped); no two envs may
    /// hold the same address in overlapping windows.</summary>
    private void CheckNoDuplicateIps(string dir)
    {
        var windows = new Dictionary<string, (long Start, long End, string Ip)>();
        foreach (var log in Directory.GetFiles(dir, "env.*.log"))
        {
            foreach (var line in File.ReadAllLines(log))
            {
                var f = line.Split(' ');
                if (f.Length < 3) continue;
                long t = long.Parse(f[1], CultureInfo.InvariantCulture);
                windows.TryGetValue(f[2], out var w);
                if (f[0] == "start") windows[f[2]] = (t, w.End == 0 ? long.MaxValue : w.End, f.Length > 3 ? f[3] : "");
                else if (f[0] is "end" or "stop") windows[f[2]] = (w.Start, w.End == 0 ? t : Math.Min(w.End, t), w.Ip ?? "");
            }
        }
        var spans = windows.Where(kv => kv.Value.Start > 0 && kv.Value.End is > 0 and < long.MaxValue).ToList();
        Assert.True(spans.Count > 0, "no env recorded a start and an end");
        Assert.All(spans, kv => Assert.False(string.IsNullOrEmpty(kv.Value.Ip), $"env {kv.Key} had no IPv4 address on eth0"));
        int most = 0;
        foreach (var a in spans)
        {
            most = Math.Max(most, spans.Count(b => b.Value.Start < a.Value.End && a.Value.Start < b.Value.End));
            foreach (var b in spans)
            {
                if (string.CompareOrdinal(a.Key, b.Key) >= 0) continue;
                bool overlap = a.Value.Start < b.Value.End && b.Value.Start < a.Value.End;
                Assert.False(overlap && a.Value.Ip == b.Value.Ip, $"envs {a.Key} and {b.Key} both held {a.Value.Ip} at the same time");
            }
        }
        output.WriteLine($"env windows checked {spans.Count}, most overlapping one window {most}");
    }
}
