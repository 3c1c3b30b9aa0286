using DevShell.Core.Presenters;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;

namespace DevShell.Tui.Tests.Presenters;

public class ProfileDetailsTests
{
    private static Profile Preset(string name) => BuiltInPresets.Load().Single(p => p.Name == name);

    [Fact]
    public void Details_show_limits_network_mounts_masks_and_hooks()
    {
        var profile = Preset("untrusted");
        profile.Hooks = new HooksSpec { OnEnter = "echo hello\necho again", OnExit = null };
        var lines = ProfileDetails.Lines(profile, runningEnvs: 2).ToDictionary(l => l.Label, l => l.Value);

        Assert.Equal("untrusted  (service sandbox)  ● 2 running", lines["Profile"]);
        Assert.Equal("memory 256M · cpu 0.5 cores · pids 64 · swap 0 · io weight 50", lines["Limits"]);
        Assert.Equal("none · egress none", lines["Network"]);
        Assert.Equal("tmpfs → /tmp 64M", lines["Mounts"]);
        Assert.Equal("~/.ssh, ~/.aws, ~/.gnupg, ~/.kube, ~/.docker, /etc/shadow", lines["Masks"]);
        Assert.Equal("on_enter: echo hello … · on_exit: none", lines["Hooks"]);
        Assert.Equal("readonly · home private", lines["Filesystem"]);
        Assert.Equal("seccomp on · caps none", lines["Security"]);
        Assert.Equal("untrusted", lines["Hostname"]);
    }

    [Fact]
    public void Bridge_networking_shows_ip_egress_allow_list_peers_and_ports()
    {
        var network = new NetworkSpec
        {
            Mode = "bridge",
            Ip = "10.88.0.20",
            Egress = new EgressSpec { Policy = "allow", Allow = ["10.0.0.0/8", "orders-api.devshell:3000"], Peers = "isolated" },
            Ports = ["8080:80"],
        };
        Assert.Equal("bridge · ip 10.88.0.20 · egress allow 10.0.0.0/8, orders-api.devshell:3000 · peers isolated · ports 8080:80", ProfileDetails.Network(network));
    }

    [Fact]
    public void Missing_limits_read_as_unlimited_and_bind_mounts_show_source_target_and_mode()
    {
        Assert.Equal("memory unlimited · cpu unlimited · pids unlimited", ProfileDetails.Limits(new LimitsSpec()));
        Assert.Equal("memory 1G · cpu 1 core · pids unlimited", ProfileDetails.Limits(new LimitsSpec { Memory = "1G", Cpu = 1 }));
        Assert.Equal("~/src → /src (ro)", ProfileDetails.Mount(new MountSpec { Type = "bind", Source = "~/src", Target = "/src", ReadOnly = true }));
    }

    [Fact]
    public void Rendered_details_wrap_values_under_their_label_within_the_width()
    {
        var text = ProfileDetails.Render(Preset("billing-worker"), 40);
        var lines = text.Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 40, $"too long: {l}"));
        var network = Array.FindIndex(lines, l => l.StartsWith("Network ", StringComparison.Ordinal));
        Assert.True(network >= 0);
        Assert.StartsWith(new string(' ', 12), lines[network + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_profile_text_is_escaped()
    {
        var profile = new Profile { Name = "x", Description = "hi\u001b]0;pwned\u0007" };
        var text = ProfileDetails.Render(profile, 80);
        Assert.DoesNotContain('\u001b', text);
        Assert.Contains("\\u001b]0;pwned\\u0007", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("one two three four", 9, new[] { "one two", "three", "four" })]
    [InlineData("abcdefghij", 4, new[] { "abcd", "efgh", "ij" })]
    [InlineData("", 5, new[] { "" })]
    public void Wrap_breaks_at_spaces_and_splits_overlong_words(string text, int width, string[] expected) =>
        Assert.Equal(expected, ProfileDetails.Wrap(text, width));

    [Fact]
    public void A_service_heading_summarises_its_profiles()
    {
        var text = ProfileDetails.GroupSummary("orders", BuiltInPresets.Load(), new Dictionary<string, int> { ["orders-api"] = 2 }, 60);
        Assert.StartsWith("Service orders: 3 profiles, 2 running envs.", text, StringComparison.Ordinal);
        Assert.Contains("• orders-api — ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("billing-worker", text, StringComparison.Ordinal);
    }
}
