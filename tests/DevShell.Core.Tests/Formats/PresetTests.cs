using System.Text.Json;
using DevShell.Core.Formats;
using DevShell.Core.Presets;
using DevShell.Core.Tests.Support;
using DevShell.Core.Validation;
using NJsonSchema;

namespace DevShell.Core.Tests.Formats;

public class PresetTests
{
    private static readonly ValidationContext Host = new() { HomeDirectory = "/home/dev", DbPath = "/home/dev/.local/share/devshell/devshell.db" };

    public static TheoryData<string> PresetFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.Profiles, "*.json").Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal)).Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(RepoPaths.Profiles, "devshell-profile.schema.json"))).GetAwaiter().GetResult());

    /// <summary>Presets carry comments; NJsonSchema reads plain JSON, so strip them with System.Text.Json first.</summary>
    private static string PlainJson(string text)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return doc.RootElement.GetRawText();
    }

    private static string[] SchemaErrors(string json) => Schema.Value.Validate(PlainJson(json)).Select(e => $"{e.Path}: {e.Kind}").ToArray();

    [Fact]
    public void There_are_at_least_six_presets() => Assert.True(BuiltInPresets.Load().Count >= 6);

    [Theory]
    [MemberData(nameof(PresetFiles))]
    public void Preset_parses_validates_and_matches_the_schema(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Profiles, file));
        Assert.StartsWith("//", text, StringComparison.Ordinal);
        var profile = Assert.Single(ProfileImport.Parse(text, file, Host));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), profile.Name);
        Assert.Equal("./devshell-profile.schema.json", profile.Schema);
        Assert.Equal("/bin/bash", profile.Shell);
        Assert.True(profile.Workdir is null or "~", "workdir must exist on any host");
        Assert.Empty(SchemaErrors(text));
    }

    [Fact]
    public void Presets_named_in_the_brief_have_their_key_settings()
    {
        var presets = BuiltInPresets.Load().ToDictionary(p => p.Name);
        Assert.Equal(["3000:3000"], presets["orders-api"].Network.Ports);
        Assert.Equal(("1G", 1.0), (presets["orders-api"].Limits.Memory, presets["orders-api"].Limits.Cpu!.Value));
        Assert.Equal(["orders-db.devshell:5432"], presets["db-client"].Network.Egress.Allow);
        Assert.Equal("isolated", presets["db-client"].Network.Egress.Peers);
        var untrusted = presets["untrusted"];
        Assert.Equal(("none", "256M", 0.5, 64), (untrusted.Network.Mode, untrusted.Limits.Memory, untrusted.Limits.Cpu!.Value, untrusted.Limits.Pids!.Value));
        Assert.Equal(("readonly", "private"), (untrusted.Filesystem.Mode, untrusted.Filesystem.Home));
        Assert.Equal(["~/.ssh", "~/.aws", "~/.gnupg", "~/.kube", "~/.docker", "/etc/shadow"], untrusted.Masks);
        Assert.Null(presets["ci-runner"].Hooks.OnEnter);
        Assert.Contains("billing-worker", presets.Keys);
        Assert.Contains("inventory-svc", presets.Keys);
    }

    [Fact]
    public void Embedded_presets_are_the_files_in_profiles()
    {
        var files = Directory.GetFiles(RepoPaths.Profiles, "*.json")
            .Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Order(StringComparer.Ordinal);
        Assert.Equal(files, BuiltInPresets.Load().Select(p => p.Name));
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Profiles, "devshell-profile.schema.json")), BuiltInPresets.SchemaText);
    }

    [Fact]
    public void Exported_profiles_match_the_schema()
    {
        foreach (var profile in BuiltInPresets.Load())
        {
            Assert.Empty(SchemaErrors(ProfileJson.Serialize(profile)));
            Assert.Empty(SchemaErrors(ProfileJson.Serialize(profile, includeStoreFields: true).Replace("0001-01-01T00:00:00", "2025-01-01T00:00:00Z", StringComparison.Ordinal)));
        }

        Assert.Empty(SchemaErrors(ProfileJson.SerializeMany(BuiltInPresets.Load())));
    }

    [Theory]
    [InlineData("""{"name":"a","colour":"red"}""")]
    [InlineData("""{"name":"Bad Name"}""")]
    [InlineData("""{"shell":"/bin/sh"}""")]
    [InlineData("""{"name":"a","limits":{"memory":"12XB"}}""")]
    [InlineData("""{"name":"a","limits":{"pids":"many"}}""")]
    [InlineData("""{"name":"a","limits":{"cpu":0}}""")]
    [InlineData("""{"name":"a","network":{"mode":"wifi"}}""")]
    [InlineData("""{"name":"a","network":{"mode":"bridge","ports":["3000"]}}""")]
    [InlineData("""{"name":"a","network":{"mode":"bridge","egress":{"policy":"allow","allow":["10.0.0.0/33"]}}}""")]
    [InlineData("""{"name":"a","mounts":[{"type":"bind","source":"/x","target":"/proc"}]}""")]
    [InlineData("""{"name":"a","masks":["~/../x"]}""")]
    [InlineData("""{"name":"a","security":{"caps":["CAP_FLY"]}}""")]
    [InlineData("""[]""")]
    // The schema's cross-field rules ("contains", "if/then": mount+pid required, rootfs needs a path) help editors,
    // but NJsonSchema 11 does not evaluate those keywords, so they are not asserted here; ProfileValidator enforces them.
    public void Schema_rejects_bad_documents(string json)
    {
        Assert.NotEmpty(SchemaErrors(json));
    }
}
