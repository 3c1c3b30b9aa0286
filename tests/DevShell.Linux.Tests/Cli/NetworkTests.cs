using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Cli;

/// <summary>
/// Bridged envs through the real binary. Traffic goes only between envs these tests start (and the test's own
/// bridge address, and 127.0.0.1 for a published port): never anywhere else.
/// </summary>
[Collection("env")]
public sealed class NetworkTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly List<Process> _running = [];

    public void Dispose()
    {
        foreach (var p in _running)
        {
            if (!p.HasExited) p.Kill();
            p.Dispose();
        }
        _cli.Dispose();
        Assert.False(Directory.Exists($"/sys/class/net/{_cli.Bridge}"), $"bridge {_cli.Bridge} left behind");
    }

    private void Add(string json)
    {
        var r = _cli.RunWith(json, TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(r.Code == 0, r.ToString());
    }

    private static string Profile(string name, string egress = """{ "policy": "all" }""", string ports = "[]") =>
        $$"""{ "name": "{{name}}", "shell": "/bin/sh", "network": { "mode": "bridge", "egress": {{egress}}, "ports": {{ports}} } }""";

    /// <summary>A TCP server in its own env: python3 serving "hello from NAME" on each port.</summary>
    private string StartServer(string profile, params int[] ports)
    {
        string script = "import socket,threading\n" +
            "def serve(p):\n" +
            " s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0',p)); s.listen()\n" +
            " while True:\n" +
            "  c,_=s.accept(); c.sendall(b'hello from " + profile + "'); c.close()\n" +
            string.Concat(ports.Select(p => $"threading.Thread(target=serve,args=({p},)).start()\n"));
        _running.Add(_cli.Start(["run", profile, "--", "python3", "-c", script]));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            using var doc = JsonDocument.Parse(_cli.Run("ps", "--json").Out);
            foreach (var s in doc.RootElement.EnumerateArray())
            {
                if (s.GetProperty("profile").GetString() == profile && s.GetProperty("state").GetString() == "running" && s.TryGetProperty("ip", out var ip))
                {
                    return ip.GetString()!;
                }
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"server env {profile} did not start");
    }

    /// <summary>Shell snippet: try to read from host:port for up to ~3 s; prints what it got or "refused".</summary>
    private static string Fetch(string host, int port) =>
        $"python3 -c \"import socket,time\nfor i in range(30):\n  try:\n    s=socket.create_connection(('{host}',{port}),timeout=0.5); print(s.recv(100).decode()); break\n  except OSError as e:\n    err=e; time.sleep(0.1)\nelse:\n  print('blocked', type(err).__name__)\"";

    [Fact]
    public void Two_envs_open_TCP_to_each_other_by_profile_and_session_name()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        Add(Profile("alpha"));
        Add(Profile("beta"));
        StartServer("alpha", 8000);
        var r = _cli.Run("run", "beta", "--", "sh", "-c", Fetch("alpha.devshell", 8000) + "; getent hosts alpha.devshell");
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.Code);
        Assert.Contains("hello from alpha", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Egress_none_reaches_neither_another_env_nor_the_bridge_and_the_drop_is_an_event()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        Add(Profile("alpha"));
        Add(Profile("sealed", egress: """{ "policy": "none" }"""));
        string alphaIp = StartServer("alpha", 8000);
        string status = Path.Combine(_cli.Dir, "sealed.json");
        var r = _cli.Run("run", "sealed", "--status-file", status, "--", "sh", "-c", Fetch(alphaIp, 8000) + "; " + Fetch("10.0.0.1", 1).Replace("10.0.0.1", "$(ip route | awk '/default/ {print $3}')", StringComparison.Ordinal));
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("hello", r.Out, StringComparison.Ordinal);
        Assert.Equal(2, r.Out.Split('\n').Count(l => l.StartsWith("blocked", StringComparison.Ordinal)));
        using var verdict = JsonDocument.Parse(File.ReadAllText(status));
        Assert.Contains(verdict.RootElement.GetProperty("violations").EnumerateArray(), v => v.GetProperty("kind").GetString() == "egress_blocked");
        Assert.Contains("\"kind\":\"egress_blocked\"", _cli.Run("events", "--json").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_list_reaches_only_the_allowed_port()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        Add(Profile("db"));
        Add(Profile("client", egress: """{ "policy": "allow", "allow": ["db.devshell:5432"], "peers": "isolated" }"""));
        StartServer("db", 5432, 6000);
        var r = _cli.Run("run", "client", "--", "sh", "-c", Fetch("db.devshell", 5432) + "; " + Fetch("db.devshell", 6000));
        output.WriteLine(r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("hello from db", lines[0]);
        Assert.StartsWith("blocked", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_published_port_answers_on_host_loopback()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        int port = 20000 + Random.Shared.Next(20000);
        Add(Profile("web", ports: $"[\"{port}:8080\"]"));
        StartServer("web", 8080);
        string got = "";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && got.Length == 0)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", port);
                var buf = new byte[100];
                int n = client.GetStream().Read(buf);
                got = System.Text.Encoding.ASCII.GetString(buf, 0, n);
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        Assert.Equal("hello from web", got);
    }

    [Fact]
    public void A_UDP_published_port_answers_on_host_loopback_next_to_a_TCP_one_on_the_same_number()
    {
        if (!Requires.Root(output) || !Requires.Command("python3", output)) return;
        int port = 20000 + Random.Shared.Next(20000);
        Add(Profile("dns", ports: $"[\"{port}:5353/udp\", \"{port}:8080\"]"));
        string script = "import socket,threading\n" +
            "def tcp():\n" +
            " s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0',8080)); s.listen()\n" +
            " while True:\n" +
            "  c,_=s.accept(); c.sendall(b'tcp from dns'); c.close()\n" +
            "threading.Thread(target=tcp, daemon=True).start()\n" +
            "u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0',5353))\n" +
            "while True:\n" +
            " d,a=u.recvfrom(512); u.sendto(b'udp from dns: '+d, a)\n";
        _running.Add(_cli.Start(["run", "dns", "--", "timeout", "60", "python3", "-c", script]));

        // A new socket (source port) per try: a datagram sent before the env's rules existed leaves a conntrack entry
        // without NAT for its 5-tuple, which later datagrams of the same socket would follow until it expires.
        string udp = "";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && udp.Length == 0)
        {
            using var client = new UdpClient("127.0.0.1", port);
            client.Client.ReceiveTimeout = 300;
            client.Send("ping"u8.ToArray());
            try
            {
                var from = new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0);
                udp = System.Text.Encoding.ASCII.GetString(client.Receive(ref from));
                Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), from);
            }
            catch (SocketException)
            {
                Thread.Sleep(100); // not up yet
            }
        }

        Assert.Equal("udp from dns: ping", udp);
        using var tcp = new TcpClient("127.0.0.1", port);
        var buf = new byte[100];
        Assert.Equal("tcp from dns", System.Text.Encoding.ASCII.GetString(buf, 0, tcp.GetStream().Read(buf)));
    }

    /// <summary>The drop chain lives in a network namespace of the test's own, where doctor runs (nsenter): in the host's
    /// it would stop every other bridged env on this machine while the test runs.</summary>
    [Fact]
    public void Doctor_fails_the_forward_policy_line_while_another_table_drops_forwarded_traffic_and_names_the_fix()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables")) return;
        string ns = "dsdoctor" + Guid.NewGuid().ToString("N")[..6];
        Run("ip", "netns", "add", ns);
        try
        {
            Run("ip", "netns", "exec", ns, "nft", "add table inet t; add chain inet t dropall { type filter hook forward priority 10; policy drop; }");

            var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "netns", "exec", ns, "timeout", "30", Artifacts.Cli, "doctor", "--json" }) psi.ArgumentList.Add(a);
            psi.Environment["DEVSHELL_DB"] = _cli.DbPath;
            psi.Environment["DEVSHELL_BRIDGE"] = _cli.Bridge;
            psi.Environment["DEVSHELL_NFT_TABLE"] = _cli.NftTable;
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(30_000));
            output.WriteLine(stdout);
            using var doc = JsonDocument.Parse(stdout);
            var line = doc.RootElement.EnumerateArray().Single(c => c.GetProperty("item").GetString() == "forward policy");
            Assert.False(line.GetProperty("ok").GetBoolean());
            Assert.Equal("inet t dropall (priority 10) drops by default", line.GetProperty("found").GetString());
            Assert.EndsWith($"nft insert rule inet t dropall iifname \"{_cli.Bridge}\" accept && nft insert rule inet t dropall oifname \"{_cli.Bridge}\" accept",
                line.GetProperty("fix").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(0, p.ExitCode);
        }
        finally
        {
            Run("ip", "netns", "del", ns);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"{file} timed out");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    [Fact]
    public void A_launch_whose_lease_fails_leaves_none_of_the_network_namespace_it_began_meanwhile()
    {
        if (!Requires.Root(output)) return;
        Add(Profile("first"));
        string taken = StartServer("first", 8080);
        string netns = Path.Combine(_cli.Dir, "run", "netns");
        Assert.Single(Directory.GetFiles(netns));
        Add($$"""{ "name": "second", "shell": "/bin/sh", "network": { "mode": "bridge", "ip": "{{taken}}" } }""");

        var r = _cli.Run("run", "second", "--", "true");

        output.WriteLine(r.ToString());
        Assert.NotEqual(0, r.Code);
        Assert.Contains(taken, r.Err, StringComparison.Ordinal);
        // The namespace of "second" was being made while its store unit failed to lease the address: it is gone.
        Assert.Single(Directory.GetFiles(netns));
        Assert.Single(Directory.GetFiles(Path.Combine(_cli.Dir, "run", "sessions"), "*.claim"));
        Assert.Single(Directory.GetDirectories("/sys/class/net"), d => Path.GetFileName(d).StartsWith("ds-", StringComparison.Ordinal)
            && Path.GetFileName(Directory.ResolveLinkTarget(Path.Combine(d, "master"), false)?.FullName ?? "") == _cli.Bridge);
        // Its store unit rolled back as a whole (one transaction), yet the launch is on record as failed, with why.
        using var ps = JsonDocument.Parse(_cli.Run("ps", "--all", "--json").Out);
        var failed = Assert.Single(ps.RootElement.EnumerateArray(), s => s.GetProperty("profile").GetString() == "second");
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        var events = _cli.Run("events", "--session", failed.GetProperty("id").GetString()!, "--json");
        Assert.Contains(taken, events.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_parallel_launches_get_ten_distinct_addresses_and_leave_nothing()
    {
        if (!Requires.Root(output)) return;
        Add(Profile("many"));
        // Each env holds its address until all ten have printed theirs (a file on the host marks that), so the
        // ten leases are held at the same time; an address reused after an env ended would not count.
        string barrier = Path.Combine(_cli.Dir, "all-started");
        string count = Path.Combine(_cli.Dir, "started");
        Directory.CreateDirectory(count);
        var procs = Enumerable.Range(0, 10).Select(i => _cli.Start(["run", "many", "--", "sh", "-c",
            $"ip -4 -o addr show eth0 | awk '{{print $4}}'; touch {count}/{i}; for t in $(seq 600); do [ -e {barrier} ] && exit 0; sleep 0.1; done; exit 9"])).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Directory.GetFiles(count).Length < 10 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        File.WriteAllText(barrier, "");
        var addresses = new List<string>();
        foreach (var p in procs)
        {
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000));
            Assert.True(p.ExitCode == 0, stderr);
            addresses.Add(stdout.Trim());
            p.Dispose();
        }
        output.WriteLine(string.Join(" ", addresses));
        Assert.Equal(10, addresses.Distinct().Count());
        Assert.All(addresses, a => Assert.Matches(@"^\d+\.\d+\.\d+\.\d+/\d+$", a));
        Assert.Empty(Directory.GetFiles(Path.Combine(_cli.Dir, "run", "netns")));
        // The veths go with their namespaces, deleted by the kernel a few ms after each launcher exits.
        Assert.Empty(_cli.VethsOnBridge(within: TimeSpan.FromSeconds(2)));
        Assert.Equal("[]", _cli.Run("ps", "--json").Out.Trim());
    }
}
