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
    }
}
