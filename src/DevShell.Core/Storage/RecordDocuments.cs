using DevShell.Core.Events;
using DevShell.Core.Sessions;
using LiteDB;

namespace DevShell.Core.Storage;

/// <summary>
/// Session and event records to and from LiteDB documents, written out by hand instead of through LiteDB's
/// reflection-based <c>BsonMapper</c>: the front is published NativeAOT (no runtime code generation, members only
/// reached by reflection get trimmed), and the mapper's reflection and expression compiling cost milliseconds on
/// every start. Field names are the ones the mapper used (<c>_id</c>, then the property names), so databases written
/// by earlier versions read unchanged. Nulls are left out, enums are stored by name.
/// </summary>
internal static class RecordDocuments
{
    /// <summary>The field the active-session index is on.</summary>
    public const string SessionStateField = nameof(SessionRecord.State);

    /// <summary>The field the per-session event index is on.</summary>
    public const string EventSessionField = nameof(EventRecord.SessionId);

    public static BsonDocument ToDocument(SessionRecord s)
    {
        var d = new BsonDocument
        {
            ["_id"] = s.Id,
            [nameof(SessionRecord.Profile)] = s.Profile,
            [nameof(SessionRecord.State)] = s.State.ToString(),
            [nameof(SessionRecord.Uid)] = s.Uid,
            [nameof(SessionRecord.Namespaces)] = new BsonArray(s.Namespaces.Select(n => new BsonValue(n))),
            [nameof(SessionRecord.CgroupPaths)] = ToDocument(s.CgroupPaths),
            [nameof(SessionRecord.StartedAt)] = s.StartedAt,
            [nameof(SessionRecord.Command)] = new BsonArray(s.Command.Select(c => new BsonValue(c))),
        };
        Put(d, nameof(SessionRecord.LauncherPid), s.LauncherPid);
        Put(d, nameof(SessionRecord.InitPid), s.InitPid);
        Put(d, nameof(SessionRecord.InitStartTicks), s.InitStartTicks);
        Put(d, nameof(SessionRecord.LauncherStartTicks), s.LauncherStartTicks);
        Put(d, nameof(SessionRecord.Hostname), s.Hostname);
        Put(d, nameof(SessionRecord.NetnsPath), s.NetnsPath);
        Put(d, nameof(SessionRecord.Veth), s.Veth);
        Put(d, nameof(SessionRecord.Ip), s.Ip);
        if (s.EndedAt is { } ended) d[nameof(SessionRecord.EndedAt)] = ended;
        Put(d, nameof(SessionRecord.ExitCode), s.ExitCode);
        Put(d, nameof(SessionRecord.Signal), s.Signal);
        if (s.OutboxSeq != 0) d[nameof(SessionRecord.OutboxSeq)] = s.OutboxSeq;
        return d;
    }

    public static SessionRecord ToSession(BsonDocument d) => new()
    {
        Id = d["_id"].AsString,
        Profile = String(d, nameof(SessionRecord.Profile)) ?? "",
        State = Enum.Parse<SessionState>(String(d, nameof(SessionRecord.State)) ?? nameof(SessionState.Failed)),
        Uid = Int(d, nameof(SessionRecord.Uid)) ?? 0,
        Namespaces = Strings(d, nameof(SessionRecord.Namespaces)),
        CgroupPaths = StringMap(d, nameof(SessionRecord.CgroupPaths)),
        StartedAt = Utc(d[nameof(SessionRecord.StartedAt)]) ?? default,
        Command = Strings(d, nameof(SessionRecord.Command)),
        LauncherPid = Int(d, nameof(SessionRecord.LauncherPid)),
        InitPid = Int(d, nameof(SessionRecord.InitPid)),
        InitStartTicks = Long(d, nameof(SessionRecord.InitStartTicks)),
        LauncherStartTicks = Long(d, nameof(SessionRecord.LauncherStartTicks)),
        Hostname = String(d, nameof(SessionRecord.Hostname)),
        NetnsPath = String(d, nameof(SessionRecord.NetnsPath)),
        Veth = String(d, nameof(SessionRecord.Veth)),
        Ip = String(d, nameof(SessionRecord.Ip)),
        EndedAt = Utc(d[nameof(SessionRecord.EndedAt)]),
        ExitCode = Int(d, nameof(SessionRecord.ExitCode)),
        Signal = Int(d, nameof(SessionRecord.Signal)),
        OutboxSeq = Int(d, nameof(SessionRecord.OutboxSeq)) ?? 0,
    };

    /// <summary>An event without its id: the store's auto-id assigns it on insert.</summary>
    public static BsonDocument ToDocument(EventRecord e)
    {
        var d = new BsonDocument
        {
            [nameof(EventRecord.Time)] = e.Time,
            [nameof(EventRecord.Kind)] = e.Kind,
        };
        if (e.Id != 0) d["_id"] = e.Id;
        Put(d, nameof(EventRecord.SessionId), e.SessionId);
        Put(d, nameof(EventRecord.Profile), e.Profile);
        Put(d, nameof(EventRecord.Value), e.Value);
        Put(d, nameof(EventRecord.Limit), e.Limit);
        Put(d, nameof(EventRecord.Message), e.Message);
        return d;
    }

    public static EventRecord ToEvent(BsonDocument d) => new()
    {
        Id = Long(d, "_id") ?? 0,
        Time = Utc(d[nameof(EventRecord.Time)]) ?? default,
        Kind = String(d, nameof(EventRecord.Kind)) ?? "",
        SessionId = String(d, nameof(EventRecord.SessionId)),
        Profile = String(d, nameof(EventRecord.Profile)),
        Value = Long(d, nameof(EventRecord.Value)),
        Limit = Long(d, nameof(EventRecord.Limit)),
        Message = String(d, nameof(EventRecord.Message)),
    };

    internal static BsonDocument ToDocument(IReadOnlyDictionary<string, string> map)
    {
        var d = new BsonDocument();
        foreach (var (key, value) in map) d[key] = value;
        return d;
    }

    internal static void Put(BsonDocument d, string field, string? value)
    {
        if (value is not null) d[field] = value;
    }

    internal static void Put(BsonDocument d, string field, int? value)
    {
        if (value is { } v) d[field] = v;
    }

    internal static void Put(BsonDocument d, string field, long? value)
    {
        if (value is { } v) d[field] = v;
    }

    internal static string? String(BsonDocument d, string field) => d[field] is { IsNull: false } v ? v.AsString : null;

    internal static int? Int(BsonDocument d, string field) => d[field] is { IsNumber: true } v ? v.AsInt32 : null;

    internal static long? Long(BsonDocument d, string field) => d[field] is { IsNumber: true } v ? v.AsInt64 : null;

    private static List<string> Strings(BsonDocument d, string field) =>
        d[field] is { IsArray: true } v ? v.AsArray.Select(x => x.AsString).ToList() : [];

    internal static Dictionary<string, string> StringMap(BsonDocument d, string field) =>
        d[field] is { IsDocument: true } v
            ? v.AsDocument.ToDictionary(kv => kv.Key, kv => kv.Value.IsString ? kv.Value.AsString : kv.Value.RawValue?.ToString() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>LiteDB hands dates back in local time; the records are UTC throughout.</summary>
    internal static DateTime? Utc(BsonValue v)
    {
        if (!v.IsDateTime) return null;
        var t = v.AsDateTime;
        return t.Kind switch
        {
            DateTimeKind.Utc => t,
            DateTimeKind.Local => t.ToUniversalTime(),
            _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        };
    }
}
