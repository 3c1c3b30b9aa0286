using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using DevShell.Core.Validation;

namespace DevShell.Core.Formats;

/// <summary>
/// Walks a parsed JSON element against the serializer's own metadata for a type and reports, with the field
/// path, every unknown field, null where none is allowed, and value of the wrong JSON type, so that a
/// document with several mistakes gets them all in one message.
/// </summary>
internal static partial class SchemaWalker
{
    public static void Walk(JsonElement element, Type type, bool nullable, string path, List<FormatError> errors)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        nullable |= underlying is not null;
        type = underlying ?? type;
        if (element.ValueKind == JsonValueKind.Null)
        {
            if (!nullable)
            {
                errors.Add(new FormatError(path, $"expected {Noun(type)}, got null (remove the field to use the default)"));
            }

            return;
        }

        if (type == typeof(string))
        {
            Expect(element, JsonValueKind.String, path, errors);
            return;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(double))
        {
            CheckNumber(element, type, path, errors);
            return;
        }

        if (type == typeof(bool))
        {
            if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                errors.Add(new FormatError(path, $"expected true or false, got {Describe(element)}"));
            }

            return;
        }

        if (type == typeof(DateTime))
        {
            if (Expect(element, JsonValueKind.String, path, errors) && !element.TryGetDateTime(out _))
            {
                errors.Add(new FormatError(path, $"expected a date such as \"2025-01-31T12:00:00Z\", got {Describe(element)}"));
            }

            return;
        }

        var info = ProfileJson.Options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                WalkObject(element, info, path, errors);
                break;
            case JsonTypeInfoKind.Enumerable:
                if (Expect(element, JsonValueKind.Array, path, errors))
                {
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item, info.ElementType!, nullable: false, $"{path}[{index++}]", errors);
                    }
                }

                break;
            case JsonTypeInfoKind.Dictionary:
                if (Expect(element, JsonValueKind.Object, path, errors))
                {
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        if (!keys.Add(property.Name))
                        {
                            errors.Add(new FormatError(Join(path, property.Name), "is given twice (keep one)"));
                            continue;
                        }

                        Walk(property.Value, info.ElementType!, nullable: false, Join(path, property.Name), errors);
                    }
                }

                break;
            default:
                errors.Add(new FormatError(path, $"has a type this format cannot read ({type.Name})"));
                break;
        }
    }

    private static void WalkObject(JsonElement element, JsonTypeInfo info, string path, List<FormatError> errors)
    {
        if (!Expect(element, JsonValueKind.Object, path, errors))
        {
            return;
        }

        var properties = info.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var field = Join(path, property.Name);
            if (!seen.Add(property.Name))
            {
                errors.Add(new FormatError(field, "is given twice (keep one)"));
            }
            else if (properties.TryGetValue(property.Name, out var known))
            {
                Walk(property.Value, known.PropertyType, known.IsSetNullable, field, errors);
            }
            else
            {
                var hint = Suggest(property.Name, properties.Keys) is { } suggestion
                    ? $"did you mean {suggestion}?"
                    : "known fields: " + string.Join(", ", properties.Keys);
                errors.Add(new FormatError(field, $"unknown field ({hint})"));
            }
        }
    }

    private static void CheckNumber(JsonElement element, Type type, string path, List<FormatError> errors)
    {
        if (!Expect(element, JsonValueKind.Number, path, errors))
        {
            return;
        }

        var ok = type == typeof(int) ? element.TryGetInt32(out _)
            : type == typeof(long) ? element.TryGetInt64(out _)
            : element.TryGetDouble(out var d) && double.IsFinite(d);
        if (!ok)
        {
            var range = type == typeof(int) ? "a whole number that fits in 32 bits"
                : type == typeof(long) ? "a whole number that fits in 64 bits"
                : "a finite number";
            errors.Add(new FormatError(path, $"expected {range}, got {Describe(element)}"));
        }
    }

    private static bool Expect(JsonElement element, JsonValueKind kind, string path, List<FormatError> errors)
    {
        if (element.ValueKind == kind)
        {
            if (kind == JsonValueKind.String && !IsReadableString(element))
            {
                errors.Add(new FormatError(path, "contains invalid Unicode (a lone surrogate escape)"));
                return false;
            }

            return true;
        }

        var noun = kind switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            _ => kind.ToString(),
        };
        errors.Add(new FormatError(path, $"expected {noun}, got {Describe(element)}"));
        return false;
    }

    private static bool IsReadableString(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Noun(Type type) =>
        type == typeof(string) ? "a string"
        : type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) || type == typeof(double) ? "a number"
        : ProfileJson.Options.GetTypeInfo(type).Kind switch
        {
            JsonTypeInfoKind.Enumerable => "an array",
            _ => "an object",
        };

    /// <summary>How a value reads in a message: strings quoted and escaped, numbers verbatim, containers by kind.</summary>
    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => IsReadableString(element) ? Display.Quote(element.GetString()!) : "a string",
        JsonValueKind.Number => Display.Quote(element.GetRawText()).Trim('"'),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>Appends a key to a path: ".key" for plain keys, ["key"] (escaped) for anything else.</summary>
    internal static string Join(string path, string key)
    {
        if (PlainKey().IsMatch(key))
        {
            return path.Length == 0 ? key : path + "." + key;
        }

        return $"{path}[{Display.Quote(key)}]";
    }

    private static string? Suggest(string unknown, IEnumerable<string> known)
    {
        var squashed = Squash(unknown);
        return known.FirstOrDefault(k => Squash(k) == squashed)
            ?? known.FirstOrDefault(k => squashed.Length > 3 && Distance(Squash(k), squashed) <= 2);
    }

    private static string Squash(string name) =>
        new(name.ToLower(CultureInfo.InvariantCulture).Where(c => c is not ('_' or '-')).ToArray());

    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 2 || a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }

        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"^[A-Za-z0-9_$-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainKey();
}
