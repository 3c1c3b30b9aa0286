using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using DevShell.Linux.Launch;
using Xunit;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// The pure half of user namespaces: what the planner puts in the spec and on nsenter's command line, the maps stage
/// two writes, and the host checks that refuse a profile before anything is created (fixture /proc trees).
/// </summary>
public sealed class UserNamespacePlanTests : IDisposable
{
    private readonly string _proc = Path.Combine(Path.GetTempPath(), "dsproc-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_proc)) Directory.Delete(_proc, recursive: true);
    }

    private static readonly Developer Dev = new(1234, 1300, "ada", "/home/ada", "/bin/bash", [1300, 27, 44, 27]);

    private static Profile UserProfile() => new()
    {
        Name = "orders-api",
        Shell = "/bin/sh",
        Namespaces = ["uts", "ipc", "mount", "pid", "net", "user"],
        Network = new NetworkSpec { Mode = "none" },
    };

    private static LaunchSpec Build(Profile profile, Developer dev) =>
        LaunchPlanner.BuildSpec(profile, dev, "abcd1234", new LaunchRequest { Command = ["true"] }, new PreparedResources(), new Dictionary<string, string?>());

    private string ProcWith(string? maxUserNamespaces)
    {
        Directory.CreateDirectory(Path.Combine(_proc, "sys", "user"));
        if (maxUserNamespaces is not null) File.WriteAllText(Path.Combine(_proc, "sys", "user", "max_user_namespaces"), maxUserNamespaces + "\n");
        return _proc;
    }

    [Fact]
    public void A_profile_with_user_gets_maps_that_hold_only_the_developer_and_their_groups()
    {
        var spec = Build(UserProfile(), Dev);
        Assert.True(spec.UserNamespace);
        Assert.Equal("1234 1234 1\n", spec.UidMap());
        Assert.Equal("1300 1300 1\n27 27 1\n44 44 1\n", spec.GidMap());
        Assert.DoesNotContain("0 0", spec.UidMap(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_without_user_gets_no_user_namespace()
    {
        var profile = UserProfile();
        profile.Namespaces = ["uts", "ipc", "mount", "pid", "net"];
        Assert.False(Build(profile, Dev).UserNamespace);
    }

    [Fact]
    public void The_user_namespace_flag_survives_the_spec_round_trip()
    {
        var spec = Build(UserProfile(), Dev);
        var parsed = LaunchSpec.Parse(spec.Serialize());
        Assert.True(parsed.UserNamespace);
        Assert.Equal(spec.GidMap(), parsed.GidMap());
        Assert.False(LaunchSpec.Parse(Build(new Profile { Name = "p", Shell = "/bin/sh" }, Dev).Serialize()).UserNamespace);
    }

    [Fact]
    public void Groups_past_what_one_gid_map_holds_are_left_out_and_the_primary_group_is_kept()
    {
        var groups = new List<int> { 1300 };
        groups.AddRange(Enumerable.Range(100000, 400));
        var spec = Build(UserProfile(), Dev with { Groups = groups });
        Assert.StartsWith("1300 1300 1\n", spec.GidMap(), StringComparison.Ordinal);
        Assert.True(spec.GidMap().Length <= LaunchSpec.MaxMapBytes, $"{spec.GidMap().Length} bytes");
        Assert.True(spec.MappedGroups().Count <= LaunchSpec.MaxMapLines);
        // The payload's setgroups uses exactly the mapped groups: none outside the map.
        Assert.All(spec.Groups, g => Assert.Contains(g, spec.MappedGroups()));
        Assert.True(spec.Groups.Count < groups.Count);
    }

    [Fact]
    public void Attach_enters_the_user_namespace_pid_1_holds_without_changing_credentials()
    {
        var args = LaunchPlanner.NsenterArgs(["uts", "ipc", "mount", "pid", "net", "user"], 4242, "/s2", "/proc/self/fd/6", "/usr/bin/nsenter");
        Assert.Contains($"--user=/proc/4242/fd/{LaunchSpec.UserNamespaceFd}", args);
        Assert.Contains("--preserve-credentials", args);
        Assert.True(args.IndexOf("--preserve-credentials") < args.IndexOf("--"), "nsenter options come before --");

        var without = LaunchPlanner.NsenterArgs(["uts", "ipc", "mount", "pid", "net"], 4242, "/s2", "/proc/self/fd/6", "/usr/bin/nsenter");
        Assert.DoesNotContain(without, a => a.StartsWith("--user", StringComparison.Ordinal));
    }

    [Fact]
    public void The_env_namespaces_the_front_creates_are_the_same_with_a_user_namespace()
    {
        // The user namespace is made by stage two around the payload only; the env's namespaces are created as before.
        var profile = UserProfile();
        int with = LaunchPlanner.NamespaceFlags(profile, joinsPreparedNetns: false);
        profile.Namespaces = ["uts", "ipc", "mount", "pid", "net"];
        int without = LaunchPlanner.NamespaceFlags(profile, joinsPreparedNetns: false);
        Assert.Equal(without, with);
        Assert.Equal(0, with & Tmds.Linux.LibC.CLONE_NEWUSER);
    }

    [Fact]
    public void Preflight_refuses_a_user_namespace_when_max_user_namespaces_is_0_and_names_the_sysctl()
    {
        var problems = Preflight.UserNamespaceProblems(UserProfile(), Dev, ProcWith("0")).ToList();
        var p = Assert.Single(problems);
        Assert.True(p.HostLacks);
        Assert.Equal("namespaces", p.Field);
        Assert.Contains("user.max_user_namespaces is 0", p.Message, StringComparison.Ordinal);
        Assert.Contains("sysctl -w user.max_user_namespaces=", p.Message, StringComparison.Ordinal);
        Assert.Contains("remove \"user\"", p.Message, StringComparison.Ordinal);
        Assert.StartsWith("profile \"orders-api\": namespaces \"user\" needs user namespaces", Preflight.Describe(UserProfile(), problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Preflight_refuses_a_user_namespace_on_a_kernel_without_them()
    {
        var p = Assert.Single(Preflight.UserNamespaceProblems(UserProfile(), Dev, ProcWith(null)));
        Assert.True(p.HostLacks);
        Assert.Contains("CONFIG_USER_NS", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preflight_accepts_a_user_namespace_when_the_host_allows_them()
    {
        Assert.Empty(Preflight.UserNamespaceProblems(UserProfile(), Dev, ProcWith("15000")));
        // The full check reads the fixture too: only the stage-two path is missing here.
        var paths = new LauncherPaths("/nonexistent/devshell-stage2", "/usr/bin/unshare", "/usr/bin/nsenter", _proc);
        Assert.DoesNotContain(Preflight.Check(UserProfile(), Dev, paths, isRoot: true, procRoot: _proc), p => p.Field == "namespaces");
        Assert.Contains(Preflight.Check(UserProfile(), Dev, paths, isRoot: true, procRoot: ProcWith("0")), p => p.Field == "namespaces" && p.HostLacks);
    }

    [Fact]
    public void Preflight_refuses_a_user_namespace_for_a_root_developer()
    {
        var root = new Developer(0, 0, "root", "/root", "/bin/sh", [0]);
        var p = Assert.Single(Preflight.UserNamespaceProblems(UserProfile(), root, ProcWith("15000")));
        Assert.False(p.HostLacks);
        Assert.Contains("run devshell with sudo from your own account", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preflight_refuses_kept_capabilities_with_a_user_namespace()
    {
        var profile = UserProfile();
        profile.Security.Caps = ["CAP_NET_BIND_SERVICE"];
        var p = Assert.Single(Preflight.UserNamespaceProblems(profile, Dev, ProcWith("15000")));
        Assert.Equal("security.caps", p.Field);
        Assert.Contains("CAP_NET_BIND_SERVICE would grant nothing", p.Message, StringComparison.Ordinal);
    }
}
