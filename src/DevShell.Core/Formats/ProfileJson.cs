using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Formats;

/// <summary>
/// The profile document format: JSON with snake_case names; comments and trailing commas are allowed.
/// Reading reports every problem as a <see cref="FormatError"/> inside a <see cref="ProfileFormatException"/>:
/// syntax errors with line and column, unknown fields, wrong types and nulls with the field path
/// (<c>limits.pids: expected a number, got "many"</c>), keys given twice, and input over <see cref="MaxInputBytes"/>.
/// It never lets a raw <see cref="JsonException"/> escape. Reading checks shape only; see <see cref="ProfileValidator"/> for values.
/// </summary>
public static class ProfileJson
{
    /// <summary>Largest document accepted, in UTF-8 bytes (1 MiB); larger input is rejected before parsing.</summary>
    public const int MaxInputBytes = 1024 * 1024;

    /// <summary>Most profiles in one document (array form).</summary>
    public const int MaxProfiles = 1000;

    /// <summary>Deepest nesting accepted.</summary>
    public const int MaxDepth = 16;

    /// <summary>The "$schema" written into exported documents; presets sit next to the schema file.</summary>
    public const string SchemaReference = "./devshell-profile.schema.json";

    /// <summary>The serializer options of the format (snake_case, comments skipped, unknown members rejected).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializer metadata for <see cref="Profile"/> under <see cref="Options"/> (source-generated, no reflection).</summary>
    public static JsonTypeInfo<Profile> TypeInfo { get; } = (JsonTypeInfo<Profile>)Options.GetTypeInfo(typeof(Profile));

    private static readonly string[] StoreFields = ["created", "updated", "revision"];

    /// <summary>Parses a document holding one profile object or an array of them.</summary>
    /// <param name="text">The document.</param>
    /// <param name="sourceName">Where it came from, for messages (a file name, "stdin").</param>
    /// <exception cref="ProfileFormatException">The document cannot be read; the message lists every problem.</exception>
    public static IReadOnlyList<Profile> ParseMany(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var document = ParseDocument(text, sourceName);
        var root = document.RootElement;
        var errors = new List<FormatError>();
        var profiles = new List<Profile>();
        if (root.ValueKind == JsonValueKind.Array)
        {
            var count = root.GetArrayLength();
            if (count == 0)
            {
                throw Fail(sourceName, "", "contains no profiles (give a profile object or an array of them)");
            }

            if (count > MaxProfiles)
            {
                throw Fail(sourceName, "", $"contains {count} profiles; at most {MaxProfiles} can be read at once");
            }

            var index = 0;
            foreach (var item in root.EnumerateArray())
            {
                profiles.Add(ReadProfile(item, $"[{index++}]", errors)!);
            }
        }
        else
        {
            profiles.Add(ReadProfile(root, "", errors)!);
        }

        if (errors.Count > 0)
        {
            throw new ProfileFormatException(errors.Select(e => e with { Source = sourceName }).ToList());
        }

        return profiles;
    }

    /// <summary>Parses a document that must hold exactly one profile object.</summary>
    /// <exception cref="ProfileFormatException">The document cannot be read or holds an array.</exception>
    public static Profile Parse(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.StartsWith('['))
        {
            throw Fail(sourceName, "", "holds an array; give a single profile object");
        }

        return ParseMany(text, sourceName)[0];
    }

    /// <summary>
    /// Writes one profile as an indented document starting with "$schema". Store-maintained fields
    /// (created, updated, revision) are left out unless <paramref name="includeStoreFields"/>.
    /// </summary>
    public static string Serialize(Profile profile, bool includeStoreFields = false) =>
        ToNode(profile, includeStoreFields).ToJsonString(Options) + "\n";

    /// <summary>Writes several profiles as an indented JSON array.</summary>
    public static string SerializeMany(IEnumerable<Profile> profiles, bool includeStoreFields = false)
    {
        var array = new JsonArray();
        foreach (var profile in profiles)
        {
            array.Add((JsonNode)ToNode(profile, includeStoreFields));
        }

        return array.ToJsonString(Options) + "\n";
    }

    private static JsonObject ToNode(Profile profile, bool includeStoreFields)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var node = JsonSerializer.SerializeToNode(profile, TypeInfo)!.AsObject();
        var result = new JsonObject { ["$schema"] = profile.Schema ?? SchemaReference };
        foreach (var (key, value) in node.ToList())
        {
            if (key == "$schema" || (!includeStoreFields && StoreFields.Contains(key)))
            {
                continue;
            }

            node.Remove(key);
            result[key] = value;
        }

        return result;
    }

    private static JsonDocument ParseDocument(string text, string sourceName)
    {
        if (text.Length > MaxInputBytes || Encoding.UTF8.GetByteCount(text) > MaxInputBytes)
        {
            var size = text.Length > 4 * MaxInputBytes ? $"over {text.Length / MaxInputBytes} MiB" : $"{Encoding.UTF8.GetByteCount(text)} bytes";
            throw Fail(sourceName, "", $"is {size}; a profile document may be at most 1 MiB");
        }

        if (string.IsNullOrWhiteSpace(text.TrimStart('\uFEFF')))
        {
            throw Fail(sourceName, "", "is empty (expected a profile object or an array of them)");
        }

        try
        {
            return JsonDocument.Parse(text.TrimStart('\uFEFF'), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
                MaxDepth = MaxDepth,
                // Duplicates are reported by SchemaWalker with their path (this option's error has no location).
                AllowDuplicateProperties = true,
            });
        }
        catch (JsonException e)
        {
            throw new ProfileFormatException([new FormatError("", "invalid JSON: " + DescribeSyntaxError(e.Message))
            {
                Source = sourceName,
                Line = e.LineNumber + 1,
                Column = e.BytePositionInLine + 1,
            }]);
        }
    }

    private static Profile? ReadProfile(JsonElement element, string path, List<FormatError> errors)
    {
        var before = errors.Count;
        SchemaWalker.Walk(element, typeof(Profile), nullable: false, path, errors);
        if (errors.Count > before)
        {
            return null;
        }

        try
        {
            return element.Deserialize(TypeInfo) ?? throw new JsonException("null profile");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            var at = e is JsonException { Path: { } p } ? SchemaWalker.Join(path, p.TrimStart('$').TrimStart('.')) : path;
            errors.Add(new FormatError(at, "cannot be read: " + FirstSentence(e.Message)));
            return null;
        }
    }

    private static string DescribeSyntaxError(string message)
    {
        if (message.Contains("Expected depth to be zero", StringComparison.Ordinal)
            || message.Contains("end of data", StringComparison.OrdinalIgnoreCase))
        {
            return "the document ends early (an object, array or string is not closed)";
        }

        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return $"nested deeper than {MaxDepth} levels";
        }

        return FirstSentence(message);
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        var sentence = (cut < 0 ? message : message[..cut]).Trim();
        return sentence.Length > 200 ? sentence[..200] + "…" : sentence;
    }

    private static ProfileFormatException Fail(string source, string field, string message) =>
        new([new FormatError(field, message) { Source = source }]);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
            MaxDepth = MaxDepth,
            WriteIndented = true,
            IndentSize = 2,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = ProfileJsonContext.Default,
        };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Compile-time serializer metadata for the profile model (NativeAOT has no reflection-based serializer).</summary>
[JsonSerializable(typeof(Profile))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
