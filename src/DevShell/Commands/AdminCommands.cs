using System.CommandLine;
using DevShell.Core.Storage;

namespace DevShell.Commands;

/// <summary>devshell doctor | db recover | net down.</summary>
public static class AdminCommands
{
    public static IEnumerable<Command> Build()
    {
        var json = Cli.JsonOption();
        var doctor = new Command("doctor", "Report what this host offers DevShell, item by item, and what to do about what is missing") { json };
        doctor.SetAction(r => Cli.Guard(() =>
        {
            using var engine = new Engine();
            return Doctor.Print(Doctor.Run(engine.Location.DbPath), r.GetValue(json), Console.Out);
        }));
        yield return doctor;

        var db = new Command("db", "Database maintenance");
        var recover = new Command("recover", "Replace a corrupted database with its last good backup (the corrupted file is kept aside)");
        recover.SetAction(_ => Cli.Guard(() =>
        {
            using var engine = new Engine();
            string? aside = DevShellStore.Recover(engine.Location.DbPath);
            Console.WriteLine(aside is null
                ? $"restored {engine.Location.DbPath} from {DevShellStore.BackupPathFor(engine.Location.DbPath)}"
                : $"restored {engine.Location.DbPath} from its backup; the corrupted file is kept at {aside}");
            return ExitCodes.Ok;
        }));
        db.Subcommands.Add(recover);
        yield return db;

        var net = new Command("net", "The DevShell bridge and nftables table");
        var force = new Option<bool>("--force") { Description = "Stop running bridged envs first" };
        var down = new Command("down", "Remove the bridge, the nftables table and the generated hosts/resolv.conf (envs must be stopped)") { force };
        down.SetAction(r => Cli.Guard(() =>
        {
            using var engine = new Engine();
            if (!engine.IsRoot) throw new Linux.Launch.HostUnsupportedException("removing the bridge needs root: run it with sudo");
            engine.Reconcile();
            var bridged = engine.Store.ListActiveSessions().Where(s => s.Ip is not null).ToList();
            if (bridged.Count > 0 && !r.GetValue(force))
            {
                throw new Core.Validation.DevShellInputException($"{bridged.Count} bridged env(s) are running ({string.Join(", ", bridged.Select(s => s.Id))}): stop them first, or use --force");
            }
            foreach (var s in bridged) engine.Stop(s.Id);
            var done = engine.NetworkPart.Down();
            Console.WriteLine(done.Count == 0 ? "nothing to remove" : string.Join(Environment.NewLine, done));
            return ExitCodes.Ok;
        }));
        net.Subcommands.Add(down);
        yield return net;
    }
}
