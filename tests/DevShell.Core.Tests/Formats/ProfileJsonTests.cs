using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Tests.Formats;

public class ProfileJsonTests
{
    private static ProfileFormatException Reject(string text) =>
        Assert.Throws<ProfileFormatException>(() => ProfileJson.ParseMany(text, "test.json"));

    [Fact]
    public void Reads_snake_case_with_comments_and_trailing_commas()
    {
        var profile = ProfileJson.Parse("""
            // a comment
            {
              "name": "orders-api", /* inline */
              "limits": { "memory": "1G", "io_weight": 300, },
              "mounts": [ { "type": "bind", "source": "~/src", "target": "/src", "readonly": true }, ],
              "hooks": { "on_enter": "echo hi" },
            }
            """, "test.json");
        Assert.Equal("orders-api", profile.Name);
        Assert.Equal(300, profile.Limits.IoWeight);
        Assert.True(profile.Mounts[0].ReadOnly);
        Assert.Equal("echo hi", profile.Hooks.OnEnter);
    }

    [Fact]
    public void Missing_fields_keep_the_model_defaults()
    {
        var profile = ProfileJson.Parse("""{"name":"a"}""", "test.json");
        Assert.Equal(["uts", "ipc", "mount", "pid", "net"], profile.Namespaces);
        Assert.Equal("none", profile.Network.Mode);
        Assert.Equal("/bin/bash", profile.Shell);
        Assert.True(profile.Security.Seccomp);
    }

    [Fact]
    public void Wrong_type_names_the_field_path_and_the_value()
    {
        Assert.Equal("test.json: limits.pids: expected a number, got \"many\"",
            Reject("""{"name":"a","limits":{"pids":"many"}}""").Message);
    }

    [Fact]
    public void Every_shape_problem_is_reported_at_once()
    {
        var e = Reject("""{"name":1,"tags":"x","limits":{"cpu":"fast","memory":512},"security":{"seccomp":"yes"},"mounts":[{"target":5}],"env":{"A":1}}""");
        Assert.Equal(
        [
            "test.json: name: expected a string, got 1",
            "test.json: tags: expected an array, got \"x\"",
            "test.json: limits.cpu: expected a number, got \"fast\"",
            "test.json: limits.memory: expected a string, got 512",
            "test.json: security.seccomp: expected true or false, got \"yes\"",
            "test.json: mounts[0].target: expected a string, got 5",
            "test.json: env.A: expected a string, got 1",
        ], e.Errors.Select(x => x.Describe()));
    }

    [Fact]
    public void Unknown_fields_are_rejected_with_a_suggestion()
    {
        Assert.Equal("test.json: limits.ioWeight: unknown field (did you mean io_weight?)",
            Reject("""{"name":"a","limits":{"ioWeight":5}}""").Message);
        Assert.Equal("test.json: Name: unknown field (did you mean name?)", Reject("""{"Name":"a"}""").Message);
        Assert.Equal("test.json: limits.memroy: unknown field (did you mean memory?)", Reject("""{"name":"a","limits":{"memroy":"1G"}}""").Message);
    }

    [Fact]
    public void Unknown_fields_without_a_near_match_list_the_known_ones()
    {
        Assert.Equal("test.json: hooks.zzz: unknown field (known fields: on_enter, on_exit)",
            Reject("""{"name":"a","hooks":{"zzz":"x"}}""").Message);
    }

    [Fact]
    public void Odd_keys_are_escaped_in_the_path()
    {
        Assert.Equal("test.json: [\"a\\u001bb\"]: unknown field (known fields: $schema, name, service, description, tags, shell, command, workdir, env, hostname, namespaces, network, limits, filesystem, mounts, masks, security, hooks, created, updated, revision)",
            Reject("{\"name\":\"a\",\"a\\u001bb\":1}").Message);
    }

    [Fact]
    public void Null_where_the_model_has_no_null_is_a_format_error()
    {
        Assert.Equal("test.json: tags: expected an array, got null (remove the field to use the default)",
            Reject("""{"name":"a","tags":null}""").Message);
        Assert.Equal("test.json: network: expected an object, got null (remove the field to use the default)",
            Reject("""{"name":"a","network":null}""").Message);
        Assert.Equal("test.json: tags[0]: expected a string, got null (remove the field to use the default)",
            Reject("""{"name":"a","tags":[null]}""").Message);
    }

    [Fact]
    public void Nullable_fields_accept_null()
    {
        var profile = ProfileJson.Parse("""{"name":"a","workdir":null,"limits":{"memory":null,"cpu":null}}""", "test.json");
        Assert.Null(profile.Workdir);
        Assert.Null(profile.Limits.Cpu);
    }

    [Fact]
    public void Numbers_out_of_range_for_the_model_are_format_errors()
    {
        Assert.Equal("test.json: limits.pids: expected a whole number that fits in 32 bits, got 1e10",
            Reject("""{"name":"a","limits":{"pids":1e10}}""").Message);
        Assert.Equal("test.json: limits.pids: expected a whole number that fits in 32 bits, got 1.5",
            Reject("""{"name":"a","limits":{"pids":1.5}}""").Message);
        Assert.Equal("test.json: limits.cpu: expected a finite number, got 1e400",
            Reject("""{"name":"a","limits":{"cpu":1e400}}""").Message);
    }

    [Fact]
    public void Truncated_json_reports_line_and_column()
    {
        var e = Reject("{\n  \"name\": \"a\",\n  \"limits\": {");
        var error = Assert.IsType<FormatError>(Assert.Single(e.Errors));
        Assert.Equal(3, error.Line);
        Assert.Equal("test.json: line 3, column 14: invalid JSON: the document ends early (an object, array or string is not closed)", e.Message);
    }

    [Fact]
    public void Syntax_errors_report_line_and_column()
    {
        var e = Reject("{\n  \"name\": \"a\"\n  \"shell\": \"/bin/sh\"\n}");
        Assert.StartsWith("test.json: line 3, column 3: invalid JSON: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_rejected()
    {
        Assert.Equal("test.json: name: is given twice (keep one)", Reject("""{"name":"a","name":"b"}""").Message);
        Assert.Equal("test.json: env.A: is given twice (keep one)", Reject("""{"name":"a","env":{"A":"1","A":"2"}}""").Message);
        Assert.Equal("test.json: [1].limits.pids: is given twice (keep one)", Reject("""[{"name":"a"},{"name":"b","limits":{"pids":1,"pids":2}}]""").Message);
    }

    [Fact]
    public void Deep_nesting_is_rejected()
    {
        var e = Reject(new string('[', 100) + new string(']', 100));
        Assert.Contains("nested deeper than 16 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Input_over_1_MiB_is_rejected_before_parsing()
    {
        var e = Reject("{\"name\":\"" + new string('a', 1024 * 1024) + "\"}");
        Assert.Equal("test.json: is 1048587 bytes; a profile document may be at most 1 MiB", e.Message);
    }

    [Fact]
    public void A_10_MB_string_is_rejected_by_size_alone()
    {
        var e = Reject("{\"name\":\"a\",\"description\":\"" + new string('a', 10 * 1024 * 1024) + "\"}");
        Assert.Equal("test.json: is over 10 MiB; a profile document may be at most 1 MiB", e.Message);
    }

    [Fact]
    public void Empty_and_non_object_documents_are_rejected()
    {
        Assert.Equal("test.json: is empty (expected a profile object or an array of them)", Reject("  \n").Message);
        Assert.Equal("test.json: contains no profiles (give a profile object or an array of them)", Reject("[]").Message);
        Assert.Equal("test.json: expected an object, got \"orders\"", Reject("\"orders\"").Message);
        Assert.Equal("test.json: [1]: expected an object, got 42", Reject("""[{"name":"a"},42]""").Message);
    }

    [Fact]
    public void Arrays_prefix_paths_with_the_index()
    {
        Assert.Equal("test.json: [1].limits.pids: expected a number, got \"x\"",
            Reject("""[{"name":"a"},{"name":"b","limits":{"pids":"x"}}]""").Message);
    }

    [Fact]
    public void Lone_surrogates_are_rejected()
    {
        Assert.Equal("test.json: name: contains invalid Unicode (a lone surrogate escape)", Reject("{\"name\":\"a\\ud800\"}").Message);
    }

    [Fact]
    public void Parse_rejects_an_array_when_one_profile_is_expected()
    {
        var e = Assert.Throws<ProfileFormatException>(() => ProfileJson.Parse("""[{"name":"a"}]""", "x.json"));
        Assert.Equal("x.json: holds an array; give a single profile object", e.Message);
    }

    [Fact]
    public void Serializes_indented_snake_case_with_schema_first_and_round_trips()
    {
        var profile = new Profile
        {
            Name = "orders-api",
            Env = { ["NODE_ENV"] = "dev" },
            Limits = new LimitsSpec { Memory = "1G", IoWeight = 100 },
            Mounts = [new MountSpec { Type = "bind", Source = "~/src", Target = "/src", ReadOnly = true }],
            Hooks = new HooksSpec { OnEnter = "echo <hi> & 'bye'" },
            Revision = 7,
            Created = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        };
        var json = ProfileJson.Serialize(profile);
        Assert.StartsWith("{\n  \"$schema\": \"./devshell-profile.schema.json\",\n  \"name\": \"orders-api\",", json, StringComparison.Ordinal);
        Assert.Contains("\"io_weight\": 100", json, StringComparison.Ordinal);
        Assert.Contains("\"on_enter\": \"echo <hi> & 'bye'\"", json, StringComparison.Ordinal);
        Assert.Contains("\"readonly\": true", json, StringComparison.Ordinal);
        Assert.Contains("\"NODE_ENV\": \"dev\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("revision", json, StringComparison.Ordinal);
        Assert.DoesNotContain("created", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);

        var back = ProfileJson.Parse(json, "round-trip");
        Assert.Equal(json, ProfileJson.Serialize(back));

        var withStore = ProfileJson.Serialize(profile, includeStoreFields: true);
        Assert.Contains("\"revision\": 7", withStore, StringComparison.Ordinal);
        Assert.Equal(7, ProfileJson.Parse(withStore, "x").Revision);
        Assert.Equal(profile.Created, ProfileJson.Parse(withStore, "x").Created);
    }

    [Fact]
    public void Serializes_several_profiles_as_an_array_that_imports_back()
    {
        var json = ProfileJson.SerializeMany([new Profile { Name = "a" }, new Profile { Name = "b" }]);
        Assert.Equal(["a", "b"], ProfileImport.Parse(json, "all.json").Select(p => p.Name));
    }

    [Fact]
    public void Import_throws_only_input_exceptions_for_bad_input()
    {
        foreach (var text in new[] { "", "{", "[1,2", "null", "true", "{\"name\":\"a\",\"limits\":{\"memory\":\"x\"}}", "\u0000", "{\"name\":\"a\"}}" })
        {
            Assert.ThrowsAny<DevShellInputException>(() => ProfileImport.Parse(text, "x.json"));
        }
    }

    [Fact]
    public void ParseFile_rejects_a_missing_or_oversized_file()
    {
        using var dir = new Support.TempDir();
        Assert.Equal($"{dir.File("nope.json")}: does not exist (check the path)",
            Assert.Throws<ProfileFormatException>(() => ProfileImport.ParseFile(dir.File("nope.json"))).Message);
        File.WriteAllText(dir.File("big.json"), new string(' ', 2 * 1024 * 1024));
        Assert.Equal($"{dir.File("big.json")}: is 2097152 bytes; a profile document may be at most 1 MiB",
            Assert.Throws<ProfileFormatException>(() => ProfileImport.ParseFile(dir.File("big.json"))).Message);
        File.WriteAllText(dir.File("ok.json"), "{\"name\":\"ok\"}");
        Assert.Equal("ok", ProfileImport.ParseFile(dir.File("ok.json")).Single().Name);
    }

    [Fact]
    public void A_source_name_with_control_characters_is_escaped()
    {
        var e = Assert.Throws<ProfileFormatException>(() => ProfileJson.ParseMany("{", "evil\u001b[2J.json"));
        Assert.StartsWith("\"evil\\u001b[2J.json\": line 1", e.Message, StringComparison.Ordinal);
    }
}
