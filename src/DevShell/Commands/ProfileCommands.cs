using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Commands;

/// <summary>devshell profile list|show|add|edit|clone|rm|import|export.</summary>
public static class ProfileCommands
{
    public static Command Build()
    {
        var profile = new Command("profile", "Manage per-service profiles");

        var json = Cli.JsonOption();
        var list = new Command("list", "List profiles") { json };
        list.SetAction(r => Cli.Guard(() => List(r.GetValue(json))));
        profile.Subcommands.Add(list);

        var name = new Argument<string>("name") { Description = "Profile name" };
        var showJson = Cli.JsonOption();
        var show = new Command("show", "Show a profile (JSON; --json adds revision and timestamps)") { name, showJson };
        show.SetAction(r => Cli.Guard(() => Show(r.GetValue(name)!, r.GetValue(showJson))));
        profile.Subcommands.Add(show);

        var file = new Argument<string>("file") { Description = "JSON file with one profile, or - for stdin" };
        var add = new Command("add", "Add a profile from a JSON file") { file };
        add.SetAction(r => Cli.Guard(() => Import(r.GetValue(file)!, replace: false, single: true)));
        profile.Subcommands.Add(add);

        var editName = new Argument<string>("name") { Description = "Profile to edit" };
        var edit = new Command("edit", "Edit a profile in $EDITOR; it is validated on save and never overwrites someone else's change") { editName };
        edit.SetAction(r => Cli.Guard(() => Edit(r.GetValue(editName)!)));
        profile.Subcommands.Add(edit);

        var src = new Argument<string>("source") { Description = "Profile to copy" };
        var dst = new Argument<string>("new-name") { Description = "Name of the copy" };
        var clone = new Command("clone", "Copy a profile under a new name") { src, dst };
        clone.SetAction(r => Cli.Guard(() =>
        {
            using var engine = new Engine();
            var copy = engine.Store.Clone(r.GetValue(src)!, r.GetValue(dst)!);
            Console.WriteLine($"cloned {r.GetValue(src)} to {copy.Name}");
            return ExitCodes.Ok;
        }));
        profile.Subcommands.Add(clone);

        var rmName = new Argument<string>("name") { Description = "Profile to delete" };
        var rm = new Command("rm", "Delete a profile") { rmName };
        rm.SetAction(r => Cli.Guard(() =>
        {
            using var engine = new Engine();
            string n = r.GetValue(rmName)!;
            if (!engine.Store.Delete(n)) throw new Core.Storage.ProfileNotFoundException(n);
            Console.WriteLine($"deleted {n}");
            return ExitCodes.Ok;
        }));
        profile.Subcommands.Add(rm);

        var importFile = new Argument<string>("file") { Description = "JSON file with a profile or an array of profiles, or - for stdin" };
        var replace = new Option<bool>("--replace") { Description = "Overwrite profiles that already exist" };
        var import = new Command("import", "Import profiles; all are validated before any is written") { importFile, replace };
        import.SetAction(r => Cli.Guard(() => Import(r.GetValue(importFile)!, r.GetValue(replace), single: false)));
        profile.Subcommands.Add(import);

        var names = new Argument<string[]>("names") { Arity = ArgumentArity.ZeroOrMore, Description = "Profiles to export (all when none)" };
        var output = new Option<string?>("--output", "-o") { Description = "Write to a file instead of stdout" };
        var export = new Command("export", "Export profiles as JSON") { names, output };
        export.SetAction(r => Cli.Guard(() => Export(r.GetValue(names) ?? [], r.GetValue(output))));
        profile.Subcommands.Add(export);
        return profile;
    }

    private static int List(bool json)
    {
        using var engine = new Engine();
        var profiles = engine.Store.List();
        if (json)
        {
            Console.WriteLine(CliJson.Serialize(profiles.Select(p => new ProfileSummary(p.Name, p.Service, p.Description, p.Tags,
                p.Network.Mode, p.Limits.Memory, p.Limits.Cpu, p.Limits.Pids, p.Revision)).ToList(), CliJson.Options));
            return ExitCodes.Ok;
        }
        Console.WriteLine($"{"NAME",-20} {"SERVICE",-14} {"NETWORK",-8} {"MEMORY",-7} {"CPU",-5} {"PIDS",-6} DESCRIPTION");
        foreach (var p in profiles)
        {
            Console.WriteLine($"{p.Name,-20} {p.Service ?? "-",-14} {p.Network.Mode,-8} {p.Limits.Memory ?? "-",-7} {(p.Limits.Cpu?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-5} {(p.Limits.Pids?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),-6} {p.Description}");
        }
        return ExitCodes.Ok;
    }

    private static int Show(string name, bool json)
    {
        using var engine = new Engine();
        Console.WriteLine(ProfileJson.Serialize(engine.Store.Require(name), includeStoreFields: json));
        return ExitCodes.Ok;
    }

    private static string ReadInput(string file) => file == "-" ? Console.In.ReadToEnd() : ReadFile(file);

    private static string ReadFile(string file)
    {
        var info = new FileInfo(file);
        if (!info.Exists) throw new DevShellInputException($"{file}: no such file");
        if (info.Length > ProfileJson.MaxInputBytes) throw new DevShellInputException($"{file}: {info.Length} bytes is over the {ProfileJson.MaxInputBytes}-byte limit for a profile file");
        return File.ReadAllText(file);
    }

    /// <summary>Parses and validates everything first; writes only when all of it is valid.</summary>
    private static int Import(string file, bool replace, bool single)
    {
        using var engine = new Engine();
        var profiles = ProfileImport.Parse(ReadInput(file), file == "-" ? "<stdin>" : file, engine.Store.ValidationContext);
        if (single && profiles.Count != 1) throw new DevShellInputException($"{file}: expected one profile, found {profiles.Count} (use `devshell profile import` for several)");
        var existing = profiles.Where(p => engine.Store.Get(p.Name) is not null).Select(p => p.Name).ToList();
        if (existing.Count > 0 && !replace)
        {
            throw new Core.Storage.ProfileAlreadyExistsException(existing[0]);
        }
        foreach (var p in profiles)
        {
            if (engine.Store.Get(p.Name) is { } current) engine.Store.Update(p, current.Revision);
            else engine.Store.Add(p);
            Console.WriteLine($"{(existing.Contains(p.Name) ? "replaced" : "added")} {p.Name}");
        }
        return ExitCodes.Ok;
    }

    private static int Export(string[] names, string? output)
    {
        using var engine = new Engine();
        var profiles = names.Length == 0 ? engine.Store.List() : names.Select(engine.Store.Require).ToList();
        string text = profiles.Count == 1 && names.Length == 1 ? ProfileJson.Serialize(profiles[0]) : ProfileJson.SerializeMany(profiles);
        if (output is null) Console.WriteLine(text);
        else File.WriteAllText(output, text + "\n");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Opens $EDITOR on the profile's JSON. On save it is parsed and validated; an invalid edit is shown with its
    /// errors and can be edited again (nothing is stored until it is valid). The write is conditional on the
    /// revision that was read, so a concurrent change is reported, never overwritten.
    /// </summary>
    private static int Edit(string name)
    {
        using var engine = new Engine();
        var original = engine.Store.Require(name);
        string path = Path.Combine(Path.GetTempPath(), $"devshell-{name}-{Guid.NewGuid().ToString("N")[..6]}.json");
        File.WriteAllText(path, ProfileJson.Serialize(original) + "\n");
        try
        {
            while (true)
            {
                RunEditor(path);
                string text = File.ReadAllText(path);
                try
                {
                    var edited = ProfileJson.Parse(text, path);
                    ProfileValidator.ThrowIfInvalid(edited, engine.Store.ValidationContext);
                    if (edited.Name != original.Name)
                    {
                        engine.Store.Rename(original.Name, edited.Name, original.Revision);
                        original = engine.Store.Require(edited.Name);
                    }
                    var saved = engine.Store.Update(edited, original.Revision);
                    Console.WriteLine($"saved {saved.Name} (revision {saved.Revision})");
                    return ExitCodes.Ok;
                }
                catch (DevShellInputException e) when (!Console.IsInputRedirected)
                {
                    Console.Error.WriteLine($"devshell: {e.Message}");
                    Console.Error.Write("Edit again? [Y/n] ");
                    var answer = Console.ReadLine();
                    if (answer is not null && answer.Trim().StartsWith('n')) throw;
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void RunEditor(string path)
    {
        string editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } v ? v
            : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e : "vi";
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(editor + " \"$1\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new DevShellInputException($"the editor ({editor}) exited with code {p.ExitCode}; nothing was saved");
    }
}
