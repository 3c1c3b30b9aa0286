using DevShell.Core.Profiles;
using DevShell.Linux.Identity;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// PID 1's start thread drops to the developer while the main thread may still be building the env (loopback,
/// mounts, hostname), and takes its own copy of PID 1's working directory before those mounts. The directory the
/// command starts in must still be the one mounted there: it is entered only once the env is built. (Whether the
/// thread actually runs ahead of the mounts is up to the scheduler, so these tests state the behaviour; they cannot
/// force the race.)
/// </summary>
[Collection("env")]
public sealed class StartThreadTests(ITestOutputHelper output) : IDisposable
{
    private readonly EnvHarness _env = new();
    private TestUser? _user;

    public void Dispose()
    {
        _user?.Dispose();
        _env.Dispose();
    }

    private Developer Dev()
    {
        _user ??= new TestUser();
        return Developer.Resolve(_user.SudoEnv, 0, 0);
    }

    [Fact]
    public void A_relative_write_in_a_private_home_lands_in_the_private_home_not_the_real_one_under_it()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        var profile = EnvHarness.Profile("cwd-private-home");
        profile.Filesystem = new FilesystemSpec { Home = "private" };

        var first = _env.Run(profile, "pwd; echo relative > written-relative", dev);
        output.WriteLine(first.Out + first.Err);
        Assert.True(first.Code == 0, first.Err);
        Assert.Equal(_user!.Home, first.Out.Trim());
        Assert.False(File.Exists(Path.Combine(_user.Home, "written-relative")), "the command wrote through the real home under the private one");

        var second = _env.Run(profile, "cat ~/written-relative", dev);
        Assert.True(second.Code == 0, second.Err);
        Assert.Equal("relative", second.Out.Trim());
    }

    [Fact]
    public void In_readonly_mode_a_relative_write_in_the_workdir_lands_in_its_writable_bind()
    {
        if (!Requires.Root(output) || !Requires.Command("useradd", output)) return;
        var dev = Dev();
        string work = Path.Combine(_env.Dir, "relwork");
        Directory.CreateDirectory(work);
        TestUser.Run("chown", $"{_user!.Uid}:{_user.Gid}", work);
        var profile = EnvHarness.Profile("cwd-readonly");
        profile.Filesystem = new FilesystemSpec { Mode = "readonly" };
        profile.Workdir = work;

        var (code, stdout, stderr, _) = _env.Run(profile, "pwd; touch written-relative && echo written", dev);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stderr);
        Assert.Equal([work, "written"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(File.Exists(Path.Combine(work, "written-relative")));
    }
}
