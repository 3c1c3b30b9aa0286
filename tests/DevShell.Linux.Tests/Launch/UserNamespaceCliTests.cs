using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// User-namespace envs through the real devshell binary, as a developer under sudo: attach joins the same user and PID
/// namespaces; a bridged env keeps its eth0 and reaches a peer env by name; a profile that cannot be honoured fails
/// before anything is created. Traffic goes only between envs these tests start.
/// </summary>
[Collection("env")]
public sealed class UserNamespaceCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly List<Process> _running = [];
    private TestUser? _user;

    public void Dispose()
    {
        foreach (var p in _running)
        {
            if (!p.HasExited) p.Kill();
            p.Dispose();
        }
        _cli.Dispose();
        _user?.Dispose();
        Assert.False(Directory.Exists($"/sys/class/net/{_cli.Bridge}"), $"bridge {_cli.Bridge} left behind");
    }

    /// <summary>Every later devshell call runs "under sudo" for a fresh test user.</summary>
    private TestUser AsDeveloper()
    {
        _user ??= new TestUser();
        foreach (var (k, v) in _user.SudoEnv) _cli.Env[k] = v!;
        return _user;
    }

    private void Add(string json)
    {
        var r = _cli.RunWith(json, TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(r.Code == 0, r.ToString());
    }

    private static string UserProfile(string name, string network = """{ "mode": "none" }""") =>
        $$"""{ "name": "{{name}}", "shell": "/bin/sh", "namespaces": ["uts", "ipc", "mount", "pid", "net", "user"], "network": {{network}} }""";

    /// <summary>Waits until a session of <paramref name="profile"/> is running; returns its id and, when bridged, its address.</summary>
    private (string Id, string? Ip) WaitRunning(string profile)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            using var doc = JsonDocument.Parse(_cli.Run("ps", "--json").Out);
            foreach (var s in doc.RootElement.EnumerateArray())
            {
                if (s.GetProperty("profile").GetString() == profile && s.GetProperty("state").GetString() == "running")
                {
                    return (s.GetProperty("id").GetString()!, s.TryGetProperty("ip", out var ip) ? ip.GetString() : null);
                }
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"env {profile} did not start");
    }

    private void AssertNothingLeft()
    {
        Assert.Empty(_cli.LeftoverCgroups());
        Assert.Equal("[]", _cli.Run("ps", "--json").Out.Trim());
        string sessions = Path.Combine(_cli.Dir, "run", "sessions");
        Assert.Empty(Directory.Exists(sessions) ? Directory.GetFiles(sessions, "*.spec") : []);
    }

    [Fact]
    public void Attach_lands_in_the_same_user_and_pid_namespaces_as_the_developer_with_the_same_drop()
    {
        if (!UserNamespaceTests.UserNamespacesAvailable(output)) return;
        var user = AsDeveloper();
        Add(UserProfile("uns-attach"));
        var running = _cli.Start(["run", "uns-attach", "--", "sh", "-c", "exec sleep 300"]);
        _running.Add(running);
        var (id, _) = WaitRunning("uns-attach");

        // "running" means stage two is ready; the command may still be exec'ing: give it up to 5 s to show up.
        var attached = _cli.Run("attach", id, "--", "sh", "-c",
            "for i in $(seq 50); do pgrep -x sleep >/dev/null && break; sleep 0.1; done; s=$(pgrep -x sleep); "
            + "id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user /proc/$s/ns/user /proc/self/ns/pid /proc/$s/ns/pid; "
            + "ps -e -o pid=,comm= | head -1; grep -E '^(CapEff|CapPrm|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");
        output.WriteLine(attached.ToString());
        Assert.Equal(0, attached.Code);
        var lines = attached.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string uid = user.Uid.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(uid, lines[0]);
        Assert.Equal(user.Gid.ToString(CultureInfo.InvariantCulture), lines[1]);
        Assert.Equal([uid, uid, "1"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("user:[", lines[3], StringComparison.Ordinal);
        Assert.Equal(lines[3], lines[4]); // the attached shell and the first command share one user namespace
        Assert.Equal(lines[5], lines[6]); // ... and one PID namespace
        Assert.Equal("1 devshell-stage2", lines[7].Trim());
        foreach (var expected in new[] { "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2" })
        {
            Assert.Contains(expected, lines);
        }

        Assert.Equal(0, _cli.Run("stop", id).Code);
        Assert.True(running.WaitForExit(10_000), "the launcher did not end after stop");
        AssertNothingLeft();
    }

    [Fact]
    public void A_bridged_env_with_a_user_namespace_has_eth0_and_reaches_a_peer_env_by_name()
    {
        if (!UserNamespaceTests.UserNamespacesAvailable(output) || !Requires.Command("python3", output)) return;
        AsDeveloper();
        Add(UserProfile("uns-alpha", """{ "mode": "bridge" }"""));
        Add(UserProfile("uns-beta", """{ "mode": "bridge" }"""));
        const string server = "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0',8000)); s.listen()\n"
            + "while True:\n  c,_=s.accept(); c.sendall(b'hello from uns-alpha'); c.close()\n";
        var alpha = _cli.Start(["run", "uns-alpha", "--", "python3", "-c", server]);
        _running.Add(alpha);
        var (alphaId, alphaIp) = WaitRunning("uns-alpha");
        Assert.NotNull(alphaIp);

        const string fetch = "python3 -c \"import socket,time\nfor i in range(30):\n  try:\n    s=socket.create_connection(('uns-alpha.devshell',8000),timeout=0.5); print(s.recv(100).decode()); break\n  except OSError as e:\n    err=e; time.sleep(0.1)\nelse:\n  print('blocked', type(err).__name__)\"";
        var r = _cli.Run("run", "uns-beta", "--", "sh", "-c", $"ls /sys/class/net | tr '\\n' ' '; echo; cat /sys/class/net/eth0/operstate; cat /proc/self/uid_map; {fetch}");
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.Code);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("eth0 lo", lines[0].Trim());
        Assert.Equal("up", lines[1]);
        Assert.Equal("hello from uns-alpha", lines[^1]);

        Assert.Equal(0, _cli.Run("stop", alphaId).Code);
        Assert.True(alpha.WaitForExit(10_000), "the server env did not end after stop");
        AssertNothingLeft();
    }

    [Fact]
    public void A_user_namespace_profile_run_as_root_without_sudo_fails_before_anything_is_created()
    {
        if (!UserNamespaceTests.UserNamespacesAvailable(output)) return;
        _cli.Env["SUDO_UID"] = ""; // even when the test runner itself was started with sudo
        Add(UserProfile("uns-root"));
        var r = _cli.Run("run", "uns-root", "--", "true");
        output.WriteLine(r.ToString());
        Assert.Equal(2, r.Code);
        Assert.Contains("profile \"uns-root\": namespaces \"user\" maps only the developer into the env, and the developer here is root", r.Err, StringComparison.Ordinal);
        AssertNothingLeft();
        Assert.False(Directory.Exists($"/sys/class/net/{_cli.Bridge}"));
    }
}
