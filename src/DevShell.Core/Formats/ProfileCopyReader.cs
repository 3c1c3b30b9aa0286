using System.Text.Json;
using DevShell.Core.Profiles;

namespace DevShell.Core.Formats;

/// <summary>
/// Reads a profile copy (<see cref="Storage.ProfileSnapshots"/>) with a <see cref="Utf8JsonReader"/> loop instead of the
/// serializer. A launch reads one copy per process, and the serializer's first use in a process built its metadata for
/// the whole profile model (~3 ms here, most of it reflection over attributes in NativeAOT); this loop takes ~0.1 ms.
/// <para>
/// It reads only what <see cref="ProfileJson.Serialize"/> writes for a stored profile, and returns null on anything
/// else: an unknown property, a null where the model has none, a token of the wrong kind. The caller then uses the
/// serializer, so a property added to the model and not here costs speed, never correctness; a test sets every
/// property of the model and checks this reader gives the serializer's result.
/// </para>
/// </summary>
public static class ProfileCopyReader
{
    /// <summary>The profile in <paramref name="json"/>, or null when the document is not one this reader knows.</summary>
    public static Profile? TryRead(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ProfileJson.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            var profile = new Profile();
            if (!ReadObject(ref reader, (ref Utf8JsonReader r, string name) => Profile(ref r, name, profile))) return null;
            return reader.Read() ? null : profile; // nothing after the object
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null; // a token of another type than the property's (GetString on a number, ...)
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private delegate bool Member(ref Utf8JsonReader reader, string name);

    /// <summary>Reads the properties of the object whose StartObject was just read, through <paramref name="member"/>.</summary>
    private static bool ReadObject(ref Utf8JsonReader reader, Member member)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return true;
            if (reader.TokenType != JsonTokenType.PropertyName) return false;
            string name = reader.GetString()!;
            if (!reader.Read() || !member(ref reader, name)) return false;
        }
        return false;
    }

    private static bool Profile(ref Utf8JsonReader r, string name, Profile p)
    {
        switch (name)
        {
            case "$schema": p.Schema = NullableString(ref r); return true;
            case "name": p.Name = Str(ref r); return true;
            case "service": p.Service = NullableString(ref r); return true;
            case "description": p.Description = NullableString(ref r); return true;
            case "tags": p.Tags = Strings(ref r); return true;
            case "shell": p.Shell = Str(ref r); return true;
            case "command": p.Command = r.TokenType == JsonTokenType.Null ? null : Strings(ref r); return true;
            case "workdir": p.Workdir = NullableString(ref r); return true;
            case "env": p.Env = StringMap(ref r); return true;
            case "hostname": p.Hostname = NullableString(ref r); return true;
            case "namespaces": p.Namespaces = Strings(ref r); return true;
            case "network": return Object(ref r, (ref Utf8JsonReader x, string m) => Network(ref x, m, p.Network));
            case "limits": return Object(ref r, (ref Utf8JsonReader x, string m) => Limits(ref x, m, p.Limits));
            case "filesystem": return Object(ref r, (ref Utf8JsonReader x, string m) => Filesystem(ref x, m, p.Filesystem));
            case "mounts": return Mounts(ref r, p.Mounts);
            case "masks": p.Masks = Strings(ref r); return true;
            case "security": return Object(ref r, (ref Utf8JsonReader x, string m) => Security(ref x, m, p.Security));
            case "hooks": return Object(ref r, (ref Utf8JsonReader x, string m) => Hooks(ref x, m, p.Hooks));
            case "created": p.Created = r.GetDateTime(); return true;
            case "updated": p.Updated = r.GetDateTime(); return true;
            case "revision": p.Revision = r.GetInt32(); return true;
            default: return false;
        }
    }

    private static bool Network(ref Utf8JsonReader r, string name, NetworkSpec n)
    {
        switch (name)
        {
            case "mode": n.Mode = Str(ref r); return true;
            case "ip": n.Ip = NullableString(ref r); return true;
            case "egress": return Object(ref r, (ref Utf8JsonReader x, string m) => Egress(ref x, m, n.Egress));
            case "ports": n.Ports = Strings(ref r); return true;
            default: return false;
        }
    }

    private static bool Egress(ref Utf8JsonReader r, string name, EgressSpec e)
    {
        switch (name)
        {
            case "policy": e.Policy = Str(ref r); return true;
            case "allow": e.Allow = Strings(ref r); return true;
            case "peers": e.Peers = Str(ref r); return true;
            default: return false;
        }
    }

    private static bool Limits(ref Utf8JsonReader r, string name, LimitsSpec l)
    {
        bool isNull = r.TokenType == JsonTokenType.Null;
        switch (name)
        {
            case "memory": l.Memory = NullableString(ref r); return true;
            case "swap": l.Swap = NullableString(ref r); return true;
            case "cpu": l.Cpu = isNull ? null : r.GetDouble(); return true;
            case "pids": l.Pids = isNull ? null : r.GetInt32(); return true;
            case "io_weight": l.IoWeight = isNull ? null : r.GetInt32(); return true;
            default: return false;
        }
    }

    private static bool Filesystem(ref Utf8JsonReader r, string name, FilesystemSpec f)
    {
        switch (name)
        {
            case "mode": f.Mode = Str(ref r); return true;
            case "rootfs": f.Rootfs = NullableString(ref r); return true;
            case "home": f.Home = Str(ref r); return true;
            default: return false;
        }
    }

    private static bool Mounts(ref Utf8JsonReader r, List<MountSpec> mounts)
    {
        if (r.TokenType != JsonTokenType.StartArray) return false;
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.EndArray) return true;
            if (r.TokenType != JsonTokenType.StartObject) return false;
            var mount = new MountSpec();
            if (!ReadObject(ref r, (ref Utf8JsonReader x, string m) => Mount(ref x, m, mount))) return false;
            mounts.Add(mount);
        }
        return false;
    }

    private static bool Mount(ref Utf8JsonReader r, string name, MountSpec m)
    {
        switch (name)
        {
            case "type": m.Type = Str(ref r); return true;
            case "source": m.Source = NullableString(ref r); return true;
            case "target": m.Target = Str(ref r); return true;
            case "readonly": m.ReadOnly = r.GetBoolean(); return true;
            case "size": m.Size = NullableString(ref r); return true;
            default: return false;
        }
    }

    private static bool Security(ref Utf8JsonReader r, string name, SecuritySpec s)
    {
        switch (name)
        {
            case "seccomp": s.Seccomp = r.GetBoolean(); return true;
            case "caps": s.Caps = Strings(ref r); return true;
            default: return false;
        }
    }

    private static bool Hooks(ref Utf8JsonReader r, string name, HooksSpec h)
    {
        switch (name)
        {
            case "on_enter": h.OnEnter = NullableString(ref r); return true;
            case "on_exit": h.OnExit = NullableString(ref r); return true;
            default: return false;
        }
    }

    private static bool Object(ref Utf8JsonReader r, Member member) =>
        r.TokenType == JsonTokenType.StartObject && ReadObject(ref r, member);

    /// <summary>A string where the model has no null: another token throws InvalidOperationException (the caller returns null).</summary>
    private static string Str(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.String ? r.GetString()! : throw new InvalidOperationException("not a string");

    /// <summary>A string or null; another token throws InvalidOperationException.</summary>
    private static string? NullableString(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetString();

    private static List<string> Strings(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw new InvalidOperationException("not an array");
        var values = new List<string>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray) values.Add(Str(ref r));
        return values;
    }

    private static Dictionary<string, string> StringMap(ref Utf8JsonReader r)
    {
        var map = new Dictionary<string, string>();
        bool ok = Object(ref r, (ref Utf8JsonReader x, string key) => map.TryAdd(key, Str(ref x)));
        return ok ? map : throw new InvalidOperationException("not a map of strings");
    }
}
