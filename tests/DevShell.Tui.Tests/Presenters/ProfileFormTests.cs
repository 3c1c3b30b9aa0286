using DevShell.Core.Formats;
using DevShell.Core.Presenters;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Tui.Tests.Presenters;

public class ProfileFormTests
{
    private static Profile Preset(string name) => BuiltInPresets.Load().Single(p => p.Name == name);

    [Fact]
    public void An_unchanged_form_gives_back_the_same_valid_profile()
    {
        var original = Preset("orders-api");
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original));
        Assert.True(check.IsValid, string.Join("\n", check.AllErrors));
        Assert.Equal(ProfileJson.Serialize(original, true), ProfileJson.Serialize(check.Profile, true));
    }

    [Fact]
    public void Editing_does_not_modify_the_original()
    {
        var original = Preset("orders-api");
        var before = ProfileJson.Serialize(original, true);
        ProfileForm.Check(original, ProfileForm.FromProfile(original) with { Memory = "2G", Cpu = "1.5", Service = "" });
        Assert.Equal(before, ProfileJson.Serialize(original, true));
    }

    [Fact]
    public void Form_values_are_applied_and_empty_optional_fields_mean_not_set()
    {
        var original = Preset("orders-api");
        var values = ProfileForm.FromProfile(original) with { Memory = " 2G ", Cpu = "1.5", Pids = "300", Hostname = "", Service = "", Workdir = " " };
        var check = ProfileForm.Check(original, values);

        Assert.True(check.IsValid, string.Join("\n", check.AllErrors));
        Assert.Equal("2G", check.Profile.Limits.Memory);
        Assert.Equal(1.5, check.Profile.Limits.Cpu);
        Assert.Equal(300, check.Profile.Limits.Pids);
        Assert.Null(check.Profile.Hostname);
        Assert.Null(check.Profile.Service);
        Assert.Null(check.Profile.Workdir);
        Assert.Equal(original.Network.Egress.Allow, check.Profile.Network.Egress.Allow);
    }

    [Fact]
    public void Invalid_values_are_reported_on_their_field_with_the_validator_message()
    {
        var original = Preset("orders-api");
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original) with { Name = "Orders API", Memory = "12XB", Shell = "bash" });

        Assert.False(check.IsValid);
        Assert.Contains("is not a valid name", check.FieldErrors[FormField.Name], StringComparison.Ordinal);
        Assert.Equal("limits.memory \"12XB\" is not a size (use e.g. 512M, 2G)", check.FieldErrors[FormField.Memory]);
        Assert.StartsWith("shell \"bash\"", check.FieldErrors[FormField.Shell], StringComparison.Ordinal);
        Assert.Empty(check.OtherErrors);
    }

    [Theory]
    [InlineData("abc", "1", FormField.Cpu, "limits.cpu \"abc\" is not a number of cores (use e.g. 0.5 or 2)")]
    [InlineData("1,5", "1", FormField.Cpu, "limits.cpu \"1,5\" is not a number of cores (use e.g. 0.5 or 2)")]
    [InlineData("1", "-3", FormField.Pids, "limits.pids \"-3\" is not a whole number (use e.g. 256)")]
    [InlineData("1", "2.5", FormField.Pids, "limits.pids \"2.5\" is not a whole number (use e.g. 256)")]
    public void Text_that_is_not_a_number_is_reported_on_its_field(string cpu, string pids, FormField field, string message)
    {
        var original = Preset("orders-api");
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original) with { Cpu = cpu, Pids = pids });
        Assert.Equal(message, check.FieldErrors[field]);
    }

    [Fact]
    public void Numbers_out_of_range_are_reported_by_the_validator()
    {
        var original = Preset("orders-api");
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original) with { Cpu = "5000", Pids = "0" });
        Assert.StartsWith("limits.cpu \"5000\"", check.FieldErrors[FormField.Cpu], StringComparison.Ordinal);
        Assert.StartsWith("limits.pids \"0\"", check.FieldErrors[FormField.Pids], StringComparison.Ordinal);
    }

    [Fact]
    public void Choosing_host_networking_drops_the_net_namespace_and_bridge_settings()
    {
        var original = Preset("inventory-svc");
        Assert.NotEmpty(original.Network.Ports);
        original.Network.Egress = new EgressSpec();
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original) with { NetworkMode = "host" });

        Assert.True(check.IsValid, string.Join("\n", check.AllErrors));
        Assert.DoesNotContain("net", check.Profile.Namespaces);
        Assert.Empty(check.Profile.Network.Ports);

        var back = ProfileForm.Check(check.Profile, ProfileForm.FromProfile(check.Profile) with { NetworkMode = "none" });
        Assert.Contains("net", back.Profile.Namespaces);
        Assert.True(back.IsValid, string.Join("\n", back.AllErrors));
    }

    [Fact]
    public void Problems_in_fields_the_form_does_not_show_are_listed_separately()
    {
        var original = Preset("orders-api");
        original.Mounts = [new MountSpec { Type = "bind", Source = "~/src", Target = "/proc/x" }];
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original));
        Assert.Empty(check.FieldErrors);
        Assert.Single(check.OtherErrors);
        Assert.StartsWith("mounts[0].target", check.OtherErrors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Renaming_while_editing_is_refused()
    {
        var original = Preset("orders-api");
        var check = ProfileForm.Check(original, ProfileForm.FromProfile(original) with { Name = "orders-api2" }, fixedName: "orders-api");
        Assert.Contains("cannot change while editing", check.FieldErrors[FormField.Name], StringComparison.Ordinal);

        var json = ProfileForm.ToJson(original).Replace("\"orders-api\"", "\"orders-api2\"", StringComparison.Ordinal);
        Assert.Contains(ProfileForm.CheckJson(original, json, fixedName: "orders-api").Errors, e => e.Contains("cannot change while editing", StringComparison.Ordinal));
    }

    [Fact]
    public void Backend_errors_are_sorted_onto_fields_like_local_ones()
    {
        var errors = new[]
        {
            new ValidationError("name", "orders-api", "is taken"),
            new ValidationError("network.ip", "10.88.0.1", "is the gateway"),
        };
        var check = ProfileForm.WithErrors(Preset("orders-api"), errors);
        Assert.Equal("name \"orders-api\" is taken", check.FieldErrors[FormField.Name]);
        Assert.Equal(["network.ip \"10.88.0.1\" is the gateway"], check.OtherErrors);
        Assert.Equal(2, check.AllErrors.Count);
    }

    [Fact]
    public void The_json_editor_reports_syntax_errors_with_their_position()
    {
        var check = ProfileForm.CheckJson(Preset("orders-api"), "{ \"name\": \"x\",\n  \"shell\": }");
        Assert.Null(check.Profile);
        Assert.False(check.IsValid);
        Assert.Contains(check.Errors, e => e.Contains("line 2", StringComparison.Ordinal));
    }

    [Fact]
    public void The_json_editor_keeps_the_store_fields_and_validates_values()
    {
        var original = Preset("orders-api");
        original.Revision = 7;
        original.Created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var json = ProfileForm.ToJson(original).Replace("\"1G\"", "\"lots\"", StringComparison.Ordinal);

        var check = ProfileForm.CheckJson(original, json);
        Assert.NotNull(check.Profile);
        Assert.Equal(7, check.Profile!.Revision);
        Assert.Equal(original.Created, check.Profile.Created);
        Assert.Equal(["limits.memory \"lots\" is not a size (use e.g. 512M, 2G)"], check.Errors);

        Assert.True(ProfileForm.CheckJson(original, ProfileForm.ToJson(original)).IsValid);
    }

    [Fact]
    public void A_clone_gets_a_free_name_and_no_hostname_ip_or_store_fields()
    {
        var original = Preset("untrusted");
        original.Revision = 3;
        original.Network.Ip = null;
        var clone = ProfileForm.CloneOf(original, ["untrusted", "untrusted-copy"]);

        Assert.Equal("untrusted-copy-2", clone.Name);
        Assert.Null(clone.Hostname);
        Assert.Equal(0, clone.Revision);
        Assert.Equal(original.Limits.Memory, clone.Limits.Memory);
        Assert.Equal(original.Masks, clone.Masks);
        Assert.Empty(ProfileValidator.Validate(clone));
        Assert.Equal("untrusted", original.Hostname);
    }

    [Fact]
    public void Free_names_stay_within_the_name_limit()
    {
        var stem = new string('a', 48);
        var name = ProfileForm.UniqueName(stem, [stem]);
        Assert.Equal(48, name.Length);
        Assert.EndsWith("-2", name, StringComparison.Ordinal);
        Assert.True(ProfileValidator.IsValidName(name));

        var clone = ProfileForm.CloneOf(new Profile { Name = stem }, [stem]);
        Assert.True(ProfileValidator.IsValidName(clone.Name), clone.Name);
        Assert.Equal("new-profile-2", ProfileForm.NewProfile(["new-profile"]).Name);
    }

    [Fact]
    public void A_new_profile_with_defaults_is_valid()
    {
        var profile = ProfileForm.NewProfile([]);
        Assert.True(ProfileForm.Check(profile, ProfileForm.FromProfile(profile)).IsValid);
    }

    [Fact]
    public void Every_field_has_its_own_access_key_that_is_in_its_label_and_free_of_the_buttons()
    {
        var keys = Enum.GetValues<FormField>().Select(ProfileForm.AccessKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.DoesNotContain('s', keys);
        Assert.DoesNotContain('c', keys);
        Assert.DoesNotContain('j', keys);
        Assert.DoesNotContain('e', keys);
        Assert.All(Enum.GetValues<FormField>(), f => Assert.Contains(ProfileForm.AccessKey(f).ToString(), ProfileForm.Label(f), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Every_validator_field_of_the_simple_form_maps_to_its_field()
    {
        foreach (var field in Enum.GetValues<FormField>())
        {
            var path = field switch
            {
                FormField.NetworkMode => "network.mode",
                FormField.Memory => "limits.memory",
                FormField.Cpu => "limits.cpu",
                FormField.Pids => "limits.pids",
                _ => field.ToString().ToLowerInvariant(),
            };
            Assert.Equal(field, ProfileForm.FieldOf(path));
        }

        Assert.Null(ProfileForm.FieldOf("mounts[0].source"));
    }
}
