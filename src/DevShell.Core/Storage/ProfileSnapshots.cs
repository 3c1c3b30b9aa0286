using System.Text.Json;
using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Storage;

/// <summary>
/// Read-through copies of stored profiles, one file per profile in <c>&lt;db&gt;.profiles/</c>, so that a launch reads
/// its profile without opening LiteDB (a unit of work costs a fresh process ~10 ms; this read ~1 ms).
/// <para>
/// The rules that keep a copy equal to the stored profile:
/// <list type="bullet">
/// <item>A copy is written only by <see cref="DevShellStore.Get"/>, inside its unit of work, from the document it just
/// read: under the store's lock, so no profile write is in between.</item>
/// <item>Every write of a profile (add, update, rename, delete, seeding) removes its copy first, in the same unit and
/// before the database changes; if that removal fails, the write does not happen. The next read makes a new copy.</item>
/// <item>Copies belong to one database: a random identity kept in the database (meta "identity") and in the directory
/// (<c>.database</c>). Every open of the store compares the two and drops the copies when they differ (a database file
/// replaced by another one, a new database where an old one was); opening a new database and restoring a backup drop
/// them as well. Only launches that run between a replacement of the file from outside devshell and the next open of
/// the store by any devshell command could still read an old copy.</item>
/// </list>
/// A launch that reads a copy while the profile is being changed runs the profile as it was just before the change, as
/// it would had it started a moment earlier. Copies hold the JSON the store holds; they are private like the database
/// (the directory is 0700 and belongs to the developer with it).
/// </para>
/// </summary>
public sealed class ProfileSnapshots(string dbPath)
{
    private const string Header = "devshell-profile-copy 1";

    /// <summary>The first line of a copy, as the bytes a reader compares.</summary>
    private static readonly byte[] HeaderLine = System.Text.Encoding.UTF8.GetBytes(Header + "\n");
    private const string IdentityFile = ".database";

    /// <summary>The directory of a database's copies: its path plus ".profiles".</summary>
    public static string DirectoryFor(string dbPath) => dbPath + ".profiles";

    /// <summary>This database's copies' directory.</summary>
    public string Directory { get; } = DirectoryFor(dbPath);

    /// <summary>
    /// The profile named <paramref name="name"/> from its copy, or null when there is none that can be trusted: no copy,
    /// a copy of another database file, a damaged one, or a name that is not a profile name. Null means: read the store.
    /// </summary>
    public Profile? TryRead(string name)
    {
        if (!ProfileValidator.IsValidName(name)) return null;
        string path = PathOf(name);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (!bytes.AsSpan().StartsWith(HeaderLine)) return null;
        var json = bytes.AsSpan(HeaderLine.Length);
        try
        {
            // Written by the store from a profile it had parsed and validated: read without the schema walk, by the
            // hand-written reader (the serializer's first use costs a fresh process ~3 ms), or by the serializer when
            // the copy holds something that reader does not know. Both read the file's UTF-8 as it is.
            var profile = ProfileCopyReader.TryRead(json) ?? JsonSerializer.Deserialize(json, ProfileJson.TypeInfo);
            return profile?.Name == name ? profile : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the copy of a profile just read from the store (inside its unit of work), unless it exists.</summary>
    internal void Keep(Profile profile)
    {
        string path = PathOf(profile.Name);
        if (File.Exists(path) || !System.IO.Directory.Exists(Directory)) return;
        try
        {
            FileReplace.Write(path, Header + "\n" + ProfileJson.Serialize(profile, includeStoreFields: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A copy is only a shortcut: without it, launches read the store.
        }
    }

    /// <summary>Removes the copy of a profile about to change (inside the unit of work, before the write).</summary>
    /// <exception cref="IOException">It cannot be removed: the write must not happen.</exception>
    internal void Forget(string name)
    {
        if (ProfileValidator.IsValidName(name)) File.Delete(PathOf(name));
    }

    /// <summary>Removes every copy.</summary>
    internal void Clear()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory)) File.Delete(file);
    }

    /// <summary>
    /// Keeps the copies only if they were made from the database whose identity is <paramref name="identity"/> (called by
    /// every open of the store, under its lock); otherwise drops them and takes this identity.
    /// </summary>
    internal void Verify(string identity)
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        string path = Path.Combine(Directory, IdentityFile);
        string? current = File.Exists(path) ? File.ReadAllText(path) : null;
        if (current == identity) return;
        Clear();
        File.WriteAllText(path, identity);
    }

    private string PathOf(string name) => Path.Combine(Directory, name + ".json");
}
