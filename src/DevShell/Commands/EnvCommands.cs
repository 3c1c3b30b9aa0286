using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DevShell.Core.Sessions;
using DevShell.Linux.Launch;

namespace DevShell.Commands;

/// <summary>devshell shell|run|attach|ps|stop|gc.</summary>
public static class EnvCommands
{
    public static IEnumerable<Command> Build()
    {
        var profile = new Argument<string>("profile") { Description = "Profile name" };
        var shell = new Command("shell", "Open an interactive shell in a new env of the profile") { profile };
        shell.SetAction(r => Cli.Guard(() => Shell(r.GetValue(profile)!)));
        yield return shell;

        var runProfile = new Argument<string>("profile") { Description = "Profile name" };
        var command = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore, Description = "Command and arguments (after --); default: the profile's command" };
        var failOnViolation = new Option<bool>("--fail-on-violation") { Description = $"Exit {ExitCodes.Violation} when a limit was violated, even if the command succeeded" };
        var statusFile = new Option<string?>("--status-file") { Description = "Write a JSON verdict: exit code, signal, wall and CPU time, memory peak, OOM, violations" };
        var run = new Command("run", "Run a command in a new env and pass its exit code through (for CI)") { runProfile, command, failOnViolation, statusFile };
        run.SetAction(r => Cli.Guard(() => Run(r.GetValue(runProfile)!, r.GetValue(command) ?? [], r.GetValue(failOnViolation), r.GetValue(statusFile))));
        yield return run;

        var id = new Argument<string>("session") { Description = "Session id (see devshell ps)" };
        var attachCommand = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore, Description = "Command to run instead of the shell" };
        var attach = new Command("attach", "Open a second shell inside a running env") { id, attachCommand };
        attach.SetAction(r => Cli.Guard(() => Attach(r.GetValue(id)!, r.GetValue(attachCommand) ?? [])));
        yield return attach;

        var json = Cli.JsonOption();
        var all = new Option<bool>("--all", "-a") { Description = "Include ended sessions" };
        var ps = new Command("ps", "List running envs") { json, all };
        ps.SetAction(r => Cli.Guard(() => Ps(r.GetValue(json), r.GetValue(all))));
        yield return ps;

        var stopIds = new Argument<string[]>("session") { Arity = ArgumentArity.ZeroOrMore, Description = "Session ids" };
        var stopAll = new Option<bool>("--all") { Description = "Stop every running env" };
        var stop = new Command("stop", "Stop envs: kill every process in them and remove what they own") { stopIds, stopAll };
        stop.SetAction(r => Cli.Guard(() => Stop(r.GetValue(stopIds) ?? [], r.GetValue(stopAll))));
        yield return stop;

        var gc = new Command("gc", "Reconcile: end sessions whose env is gone, remove what crashed launchers left behind");
        gc.SetAction(_ => Cli.Guard(Gc));
        yield return gc;
    }

    private static int Shell(string profileName)
    {
        using var early = EarlyLaunch.Take(profileName, out var copy);
        using var engine = new Engine();
        // The profile's copy and the store's outbox when they exist; else one store unit from opening the store to the
        // session's Starting record and IP lease (Launch ends it there).
        var profile = engine.LaunchProfile(profileName, out var batch, copy);
        using var _ = batch;
        bool tty = PtyRelay.StdinIsTerminal;
        using var watch = engine.Watch();
        var outcome = engine.Launch(profile, new LaunchRequest { Interactive = true, Tty = tty }, batch, early);
        foreach (var e in outcome.Errors) Console.Error.WriteLine($"devshell: {e}");
        if (outcome.Lingering)
        {
            Console.Error.WriteLine($"devshell: env {outcome.SessionId} keeps running (background processes): `devshell attach {outcome.SessionId}` or `devshell stop {outcome.SessionId}`");
        }
        return outcome.ExitCode;
    }

    private static int Run(string profileName, string[] command, bool failOnViolation, string? statusFile)
    {
        double cli = Program.SinceMain.Elapsed.TotalMilliseconds;
        using var early = EarlyLaunch.Take(profileName, out var copy);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var engine = new Engine();
        engine.PrePhases.Add(("cli", cli));
        engine.PrePhases.Add(("engine", clock.Elapsed.TotalMilliseconds));
        clock.Restart();
        // The profile's copy and the store's outbox when they exist; else one store unit from opening the store to the
        // session's Starting record and IP lease (Launch ends it there).
        var profile = engine.LaunchProfile(profileName, out var batch, copy);
        using var _ = batch;
        engine.PrePhases.Add(("profile", clock.Elapsed.TotalMilliseconds));
        if (command.Length == 0 && profile.Command is not { Count: > 0 })
        {
            throw new Core.Validation.DevShellInputException($"profile \"{profile.Name}\" has no default command: give one after --, e.g. devshell run {profile.Name} -- make test");
        }
        var started = DateTime.UtcNow;
        using var watch = engine.Watch();
        watch.VerdictWanted = statusFile is not null;
        var outcome = engine.Launch(profile, new LaunchRequest { Command = command, Interactive = false, Tty = false }, batch, early);
        var wall = DateTime.UtcNow - started;
        Trace(engine, outcome);
        foreach (var e in outcome.Errors) Console.Error.WriteLine($"devshell: {e}");
        var violations = watch.Violations;
        if (statusFile is not null) WriteVerdict(statusFile, outcome, wall, watch);
        if (violations.Count > 0)
        {
            Console.Error.WriteLine($"devshell: {violations.Count} violation(s) in {outcome.SessionId}: {string.Join("; ", violations.Select(v => v.Describe()))}");
        }
        if (failOnViolation && violations.Count > 0 && outcome.ExitCode == 0) return ExitCodes.Violation;
        return outcome.ExitCode;
    }

    /// <summary>DEVSHELL_TRACE=1: where the launch time went, one "devshell-trace: PHASE MS" line per phase.</summary>
    private static void Trace(Engine engine, LaunchOutcome outcome)
    {
        if (Environment.GetEnvironmentVariable("DEVSHELL_TRACE") != "1") return;
        // From Main on: Process.StartTime has whole-second resolution here, so runtime start-up is measured with hyperfine.
        Console.Error.WriteLine($"devshell-trace: main {Program.SinceMain.Elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)}");
        foreach (var (phase, ms) in engine.PrePhases.Concat(outcome.Phases)) Console.Error.WriteLine($"devshell-trace: {phase} {ms.ToString("0.00", CultureInfo.InvariantCulture)}");
        // Units of work (lock, open, close of the database file) this launch took: each costs a few ms.
        Console.Error.WriteLine($"devshell-trace: store-units {engine.StoreUnitsOpened.ToString(CultureInfo.InvariantCulture)}");
        // Garbage collections during the launch, and what it allocated: a collection costs a fresh process ~1-3 ms.
        Console.Error.WriteLine($"devshell-trace: gcs {GC.CollectionCount(0).ToString(CultureInfo.InvariantCulture)}");
        Console.Error.WriteLine($"devshell-trace: allocated-kb {(GC.GetTotalAllocatedBytes() / 1024).ToString(CultureInfo.InvariantCulture)}");
    }

    private static void WriteVerdict(string path, LaunchOutcome outcome, TimeSpan wall, ViolationWatch watch)
    {
        var verdict = new RunVerdict(
            Session: outcome.SessionId,
            ExitCode: outcome.ExitCode,
            Signal: outcome.ExitCode > 128 ? outcome.ExitCode - 128 : null,
            WallMs: Math.Round(wall.TotalMilliseconds, 1),
            CpuMs: watch.Last?.Usage.CpuUsageNs is long ns ? Math.Round(ns / 1e6, 1) : null,
            MemoryPeakBytes: watch.MemoryPeakBytes,
            OomKilled: watch.Violations.Any(v => v.Kind == Linux.Cgroups.ViolationKind.OomKill),
            Violations: watch.Violations.Select(v => new VerdictViolation(v.Kind, v.Value, v.Limit, v.Describe())).ToList(),
            Errors: outcome.Errors);
        File.WriteAllText(path, CliJson.Serialize(verdict, CliJson.Options) + "\n");
    }

    private static int Attach(string id, string[] command)
    {
        using var engine = new Engine();
        return engine.Attach(id, command, PtyRelay.StdinIsTerminal);
    }

    private static int Ps(bool json, bool all)
    {
        using var engine = new Engine();
        engine.Reconcile();
        var sessions = all ? engine.Store.ListSessions() : engine.Store.ListActiveSessions();
        if (json)
        {
            Console.WriteLine(CliJson.Serialize(sessions, CliJson.Options));
            return ExitCodes.Ok;
        }
        Console.WriteLine($"{"SESSION",-9} {"PROFILE",-18} {"STATE",-8} {"PID",-8} {"IP",-15} {"UPTIME",-9} COMMAND");
        foreach (var s in sessions)
        {
            var up = (s.EndedAt ?? DateTime.UtcNow) - s.StartedAt;
            Console.WriteLine($"{s.Id,-9} {s.Profile,-18} {s.State.ToString().ToLowerInvariant(),-8} {s.InitPid?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} {s.Ip ?? "-",-15} {FormatUptime(up),-9} {(s.Command.Count == 0 ? "(shell)" : string.Join(' ', s.Command))}");
        }
        return ExitCodes.Ok;
    }

    public static string FormatUptime(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{(int)t.TotalSeconds}s";

    private static int Stop(string[] ids, bool all)
    {
        using var engine = new Engine();
        var targets = all ? engine.Store.ListActiveSessions().Select(s => s.Id).ToArray() : ids;
        if (all && targets.Length == 0)
        {
            Console.WriteLine("nothing running");
            return ExitCodes.Ok;
        }
        if (targets.Length == 0) throw new Core.Validation.DevShellInputException("name a session to stop (see devshell ps), or use --all");
        foreach (var id in targets)
        {
            engine.Stop(id);
            Console.WriteLine($"stopped {id}");
        }
        return ExitCodes.Ok;
    }

    private static int Gc()
    {
        using var engine = new Engine();
        var report = engine.Reconcile();
        if (report.Nothing) Console.WriteLine("nothing to collect");
        foreach (var s in report.EndedSessions) Console.WriteLine($"ended session {s}");
        foreach (var o in report.RemovedObjects) Console.WriteLine($"removed {o}");
        return ExitCodes.Ok;
    }
}
