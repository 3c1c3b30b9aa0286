using System.Text.Json.Nodes;
using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Support;

/// <summary>Builds profile documents by deep-merging a JSON patch into a minimal valid profile.</summary>
internal static class Docs
{
    public const string Base = """{ "name": "orders-api" }""";

    public static string Patch(string patch)
    {
        var target = JsonNode.Parse(Base)!.AsObject();
        Merge(target, JsonNode.Parse(patch)!.AsObject());
        return target.ToJsonString();
    }

    /// <summary>Parses and validates the patched document; returns the exception (asserting there is one).</summary>
    public static DevShellInputException Reject(string patch, ValidationContext? context = null) =>
        Assert.ThrowsAny<DevShellInputException>(() => ProfileImport.Parse(Patch(patch), "test.json", context));

    public static Profile Accept(string patch, ValidationContext? context = null) =>
        Assert.Single(ProfileImport.Parse(Patch(patch), "test.json", context));

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            patch.Remove(key);
            if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value;
            }
        }
    }
}
