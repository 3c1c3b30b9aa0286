using DevShell.Core.Events;
using DevShell.Core.Sessions;
using LiteDB;

namespace DevShell.Core.Storage;

/// <summary>
/// Session writes that can wait: one small JSON file per <see cref="SessionChange"/> in <c>&lt;db&gt;.outbox/</c>, which
/// the next unit of work of any devshell process on the database applies before anything else (see
/// <see cref="DevShellStore"/>). A launch that needs nothing from the store (no IP lease) posts its Starting record and
/// its end here instead of opening LiteDB: a unit costs a fresh process ~10 ms (lock, open, checkpoint, close), a post
/// ~0.1 ms. Whoever reads sessions next (ps, stop, attach, gc, the TUI, the next launch that opens the store) sees them
/// applied, in each session's order.
/// <para>
/// A post is durable before it returns to the launch: the file is written under a temporary name and renamed into
/// place, so a reader sees all of a change or nothing. Like the store, it is written before the kernel objects it
/// describes, so a launcher killed at any moment leaves a record that gc finds. The directory is made by
/// <see cref="DevShellStore.Open(string, StoreOptions?)"/> (mode 0700, next to the database, given to the developer
/// with it); a launch posts only when it exists, otherwise it writes to the store directly.
/// </para>
/// </summary>
public sealed class StoreOutbox(string dbPath)
{
    private const string Suffix = ".json";

    /// <summary>The outbox directory of a database: its path plus ".outbox".</summary>
    public static string DirectoryFor(string dbPath) => dbPath + ".outbox";

    /// <summary>This database's outbox directory.</summary>
    public string Directory { get; } = DirectoryFor(dbPath);

    /// <summary>True when the directory exists (the store made it), so posts will be applied.</summary>
    public bool IsReady => System.IO.Directory.Exists(Directory);

    /// <summary>
    /// Writes <paramref name="change"/> for the next unit of work to apply. Its <see cref="SessionChange.Seq"/> must be
    /// 1 or more and grow with each change of the session (it names the file and orders the changes).
    /// </summary>
    /// <exception cref="IOException">The file cannot be written (the launch then fails before it made anything).</exception>
    public void Post(SessionChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!SessionRecord.IsValidId(change.SessionId)) throw new ArgumentException($"session id \"{change.SessionId}\" is not 8 lowercase hex digits", nameof(change));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(change.Seq);
        FileReplace.Write(Path.Combine(Directory, $"{change.SessionId}.{change.Seq:D6}{Suffix}"), JsonSerializer.Serialize(ToDocument(change)));
    }

    /// <summary>True when at least <paramref name="count"/> changes wait (reads the directory until it has seen that many).</summary>
    public bool HoldsAtLeast(int count)
    {
        try
        {
            foreach (var _ in System.IO.Directory.EnumerateFiles(Directory, "*" + Suffix))
            {
                if (--count <= 0) return true;
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return count <= 0;
    }

    /// <summary>The pending changes' files in the order to apply them (by session, then sequence); none when empty.</summary>
    internal List<string> Pending()
    {
        var files = new List<string>();
        try
        {
            foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "*" + Suffix)) files.Add(f);
        }
        catch (DirectoryNotFoundException)
        {
            return files;
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Reads a posted change.</summary>
    /// <exception cref="FormatException">The file does not hold a change (damaged; the store sets it aside).</exception>
    internal static SessionChange Read(string path)
    {
        BsonDocument d;
        try
        {
            d = JsonSerializer.Deserialize(File.ReadAllText(path)).AsDocument;
        }
        catch (Exception e) when (e is LiteException or InvalidCastException)
        {
            throw new FormatException($"{Path.GetFileName(path)} is not a session change: {e.Message}", e);
        }

        try
        {
            return FromDocument(d);
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentException or NullReferenceException or KeyNotFoundException)
        {
            throw new FormatException($"{Path.GetFileName(path)} is not a session change: {e.Message}", e);
        }
    }

    private static BsonDocument ToDocument(SessionChange c)
    {
        var d = new BsonDocument { ["session"] = c.SessionId, ["seq"] = c.Seq };
        if (c.Add is { } add) d["add"] = RecordDocuments.ToDocument(add);
        if (c.Running is { } r)
        {
            var running = new BsonDocument { ["init"] = r.InitPid, ["cgroups"] = RecordDocuments.ToDocument(r.CgroupPaths) };
            RecordDocuments.Put(running, "initTicks", r.InitStartTicks);
            RecordDocuments.Put(running, "netns", r.NetnsPath);
            RecordDocuments.Put(running, "veth", r.Veth);
            RecordDocuments.Put(running, "ip", r.Ip);
            d["running"] = running;
        }

        if (c.Ended is { } e)
        {
            var ended = new BsonDocument { ["state"] = e.State.ToString(), ["at"] = e.At };
            RecordDocuments.Put(ended, "code", e.ExitCode);
            d["ended"] = ended;
        }

        if (c.Events.Count > 0) d["events"] = new BsonArray(c.Events.Select(RecordDocuments.ToDocument));
        if (c.ReleaseIp) d["releaseIp"] = true;
        return d;
    }

    private static SessionChange FromDocument(BsonDocument d)
    {
        RunningFacts? running = null;
        if (d["running"] is { IsDocument: true } rv)
        {
            var r = rv.AsDocument;
            running = new RunningFacts(r["init"].AsInt32, RecordDocuments.Long(r, "initTicks"), RecordDocuments.StringMap(r, "cgroups"),
                RecordDocuments.String(r, "netns"), RecordDocuments.String(r, "veth"), RecordDocuments.String(r, "ip"));
        }

        EndFacts? ended = null;
        if (d["ended"] is { IsDocument: true } ev)
        {
            var e = ev.AsDocument;
            ended = new EndFacts(Enum.Parse<SessionState>(e["state"].AsString), RecordDocuments.Int(e, "code"),
                RecordDocuments.Utc(e["at"]) ?? throw new FormatException("an end without its time"));
        }

        return new SessionChange
        {
            SessionId = d["session"].AsString ?? throw new FormatException("no session id"),
            Seq = d["seq"].AsInt32,
            Add = d["add"] is { IsDocument: true } add ? RecordDocuments.ToSession(add.AsDocument) : null,
            Running = running,
            Ended = ended,
            Events = d["events"] is { IsArray: true } events ? events.AsArray.Select(x => RecordDocuments.ToEvent(x.AsDocument)).ToList() : [],
            ReleaseIp = d["releaseIp"] is { IsBoolean: true } release && release.AsBoolean,
        };
    }
}
