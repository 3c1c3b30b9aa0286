using DevShell.Core.Storage;
using DevShell.Core.Tests.Support;

namespace DevShell.Core.Tests.Storage;

public class StorePathsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _passwd;

    public StorePathsTests()
    {
        _passwd = _dir.File("passwd");
        File.WriteAllLines(_passwd,
        [
            "root:x:0:0:root:/root:/bin/bash",
            "dev:x:1000:1001:Dev,,,:/home/dev:/bin/bash",
            "broken:x:abc:1:::/bin/sh",
        ]);
    }

    public void Dispose() => _dir.Dispose();

    private StoreLocation Resolve(bool root, params (string Key, string Value)[] env) =>
        StorePaths.Resolve(env.ToDictionary(e => e.Key, e => e.Value), root, _passwd);

    [Fact]
    public void DEVSHELL_DB_wins()
    {
        var location = Resolve(false, ("HOME", "/home/me"), ("XDG_DATA_HOME", "/x"), ("DEVSHELL_DB", "/srv/ds/test.db"));
        Assert.Equal(new StoreLocation("/srv/ds/test.db", "/srv/ds", "/home/me", null, null), location);
    }

    [Fact]
    public void XDG_DATA_HOME_is_used_when_absolute()
    {
        Assert.Equal("/xdg/devshell/devshell.db", Resolve(false, ("HOME", "/home/me"), ("XDG_DATA_HOME", "/xdg")).DbPath);
        Assert.Equal("/home/me/.local/share/devshell/devshell.db", Resolve(false, ("HOME", "/home/me"), ("XDG_DATA_HOME", "relative")).DbPath);
    }

    [Fact]
    public void Falls_back_to_the_home_local_share()
    {
        var location = Resolve(false, ("HOME", "/home/me/"));
        Assert.Equal("/home/me/.local/share/devshell/devshell.db", location.DbPath);
        Assert.Equal("/home/me/.local/share/devshell", location.DataDirectory);
        Assert.Equal("/home/me/.local/share/devshell/homes/orders-api", location.PrivateHome("orders-api"));
        Assert.Equal("/home/me", location.HomeDirectory);
        Assert.Null(location.OwnerUid);
    }

    [Fact]
    public void Under_sudo_the_invoking_users_home_and_ids_are_used()
    {
        var location = Resolve(true, ("HOME", "/root"), ("SUDO_USER", "dev"), ("SUDO_UID", "1000"), ("SUDO_GID", "1001"));
        Assert.Equal(new StoreLocation("/home/dev/.local/share/devshell/devshell.db", "/home/dev/.local/share/devshell", "/home/dev", 1000, 1001), location);
    }

    [Fact]
    public void Under_sudo_ids_come_from_passwd_when_SUDO_UID_is_missing()
    {
        var location = Resolve(true, ("HOME", "/root"), ("SUDO_USER", "dev"));
        Assert.Equal((1000, 1001), (location.OwnerUid!.Value, location.OwnerGid!.Value));
    }

    [Fact]
    public void Under_sudo_XDG_DATA_HOME_counts_only_inside_the_users_home()
    {
        Assert.Equal("/home/dev/.data/devshell/devshell.db",
            Resolve(true, ("SUDO_USER", "dev"), ("XDG_DATA_HOME", "/home/dev/.data")).DbPath);
        Assert.Equal("/home/dev/.local/share/devshell/devshell.db",
            Resolve(true, ("SUDO_USER", "dev"), ("XDG_DATA_HOME", "/root/.local/share")).DbPath);
    }

    [Fact]
    public void SUDO_USER_is_ignored_when_not_root()
    {
        Assert.Equal("/home/me/.local/share/devshell/devshell.db", Resolve(false, ("HOME", "/home/me"), ("SUDO_USER", "dev")).DbPath);
    }

    [Fact]
    public void Sudo_as_root_itself_uses_roots_home()
    {
        Assert.Equal("/root/.local/share/devshell/devshell.db", Resolve(true, ("HOME", "/root"), ("SUDO_USER", "root")).DbPath);
    }

    [Fact]
    public void Unknown_sudo_user_is_a_clear_error()
    {
        var e = Assert.Throws<StoreException>(() => Resolve(true, ("SUDO_USER", "ghost")));
        Assert.Equal($"SUDO_USER \"ghost\" is not in {_passwd}; set DEVSHELL_DB to choose the database", e.Message);
    }

    [Fact]
    public void Missing_home_is_a_clear_error()
    {
        var e = Assert.Throws<StoreException>(() => Resolve(false));
        Assert.Equal("HOME is not set to an absolute path; set HOME, or set DEVSHELL_DB to choose the database", e.Message);
    }

    [Fact]
    public void Private_home_rejects_a_name_that_could_escape()
    {
        var location = Resolve(false, ("HOME", "/home/me"));
        Assert.Throws<ArgumentException>(() => location.PrivateHome("../x"));
    }

    [Fact]
    public void Location_gives_a_validation_context()
    {
        var context = Resolve(false, ("HOME", "/home/me")).ToValidationContext();
        Assert.Equal("/home/me", context.HomeDirectory);
        Assert.Equal("/home/me/.local/share/devshell/devshell.db", context.DbPath);
    }
}
