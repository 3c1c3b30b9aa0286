using System.Reflection;
using DevShell.Core.Formats;
using DevShell.Core.Profiles;

namespace DevShell.Core.Presets;

/// <summary>
/// The preset profiles from the repository's profiles/ folder, embedded in this assembly,
/// used to seed a new database (<c>DevShellStore.SeedIfEmpty</c>), and the JSON schema text.
/// </summary>
public static class BuiltInPresets
{
    private const string Prefix = "DevShell.Presets.";
    private const string SchemaFile = "devshell-profile.schema.json";

    /// <summary>Parses and returns every embedded preset (fresh objects on each call), sorted by name.</summary>
    public static IReadOnlyList<Profile> Load()
    {
        var assembly = typeof(BuiltInPresets).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal) && n != Prefix + SchemaFile)
            .Select(n => ProfileJson.Parse(Read(assembly, n), "preset " + n[Prefix.Length..]))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The JSON schema of the profile format (draft-07), as text.</summary>
    public static string SchemaText => Read(typeof(BuiltInPresets).Assembly, Prefix + SchemaFile);

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
