using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevShell.Core.Networking;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// A throwaway DevShell network for one test: its own bridge (dstest*), /24 in 10.250.0.0/16, nft table
/// (devshell_test_*) and netns directory. Envs are real namespaces; servers are python3 processes inside them.
/// Traffic only flows between these namespaces and the host's own bridge address / 127.0.0.1.
/// Dispose removes everything it made, by name and pid.
/// </summary>
internal sealed class NetLab : IDisposable
{
    private const string ServerScript = """
        import socket, sys, threading
        ip, echo_peer = sys.argv[1], sys.argv[2] == "peer"
        def serve(s, port):
            while True:
                c, addr = s.accept()
                try:
                    c.sendall(((addr[0] if echo_peer else str(port)) + "\n").encode())
                finally:
                    c.close()
        socks = []
        for p in sys.argv[3:]:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, int(p)))
            s.listen(16)
            socks.append((s, int(p)))
        for s, p in socks:
            threading.Thread(target=serve, args=(s, p), daemon=True).start()
        print("ready", flush=True)
        sys.stdin.read()
        """;

    private readonly ITestOutputHelper _output;
    private readonly List<Process> _servers = [];
    private readonly List<LabEnv> _envs = [];
    private readonly List<OutsideNet> _outsides = [];
    private readonly Sysctl _sysctl = new();
    private readonly string? _ipForwardBefore;
    private readonly string? _redirectsBefore;

    public NetLab(ITestOutputHelper output)
    {
        _output = output;
        BridgeName = NetTestNames.Bridge();
        Subnet = Ipv4Cidr.Parse(NetTestNames.Subnet24());
        Netns = new NetnsManager(NetTestNames.NetnsDirectory());
        Network = new BridgeNetwork(Subnet, BridgeName);
        Firewall = new NftFirewall(new NftTableConfig(NetTestNames.NftTable(), BridgeName, Subnet));
        _ipForwardBefore = _sysctl.TryRead("net/ipv4/ip_forward");
        _redirectsBefore = _sysctl.TryRead("net/ipv4/conf/all/send_redirects");
    }

    public string BridgeName { get; }

    public Ipv4Cidr Subnet { get; }

    public NetnsManager Netns { get; }

    public BridgeNetwork Network { get; }

    public NftFirewall Firewall { get; }

    public uint Gateway => Subnet.Gateway;

    public IReadOnlyList<LabEnv> Envs => _envs;

    /// <summary>
    /// What a lab with servers needs: root, nft, python3 (the servers) and nsenter (commands inside an env). False,
    /// after printing why (a failure under CI=true), when something is missing.
    /// </summary>
    public static bool Ready(ITestOutputHelper output) =>
        Requires.Root(output) && Requires.Command("nft", output, "apt-get install nftables")
        && Requires.Command("python3", output) && Requires.Command("nsenter", output, "apt-get install util-linux");

    /// <summary>A lab with its bridge and table up, or null when the host lacks what it needs (see <see cref="Ready"/>).</summary>
    public static NetLab? Start(ITestOutputHelper output)
    {
        if (!Ready(output))
        {
            return null;
        }

        var lab = new NetLab(output);
        try
        {
            lab.Up();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    public BridgeStatus Up()
    {
        BridgeStatus status = Network.EnsureBridge();
        Firewall.Up();
        return status;
    }

    /// <summary>Creates a netns, attaches it at .<paramref name="host"/> and adds its firewall rules.</summary>
    public LabEnv AddEnv(int host, Func<EnvFirewallSpec, EnvFirewallSpec>? configure = null)
    {
        string id = "t" + NetTestNames.Hex();
        string path = Netns.Create(id);
        uint ip = Subnet.Network + (uint)host;
        var env = new LabEnv(id, path, ip);
        _envs.Add(env);
        Network.Attach(id, path, ip);
        EnvFirewallSpec spec = new(id, ip);
        env.Spec = configure is null ? spec : configure(spec);
        Firewall.AddEnv(env.Spec);
        return env;
    }

    /// <summary>Starts a TCP server replying "&lt;port&gt;\n" on each port, bound to <paramref name="ip"/>, in
    /// <paramref name="env"/>'s namespace (or on the host when null).</summary>
    public void StartServer(LabEnv? env, uint ip, params int[] ports) => StartServer(env?.NetnsPath, ip, echoPeer: false, ports);

    /// <summary>Like <see cref="StartServer(LabEnv?, uint, int[])"/>, in any namespace; with
    /// <paramref name="echoPeer"/> the reply is the client's address as the server sees it.</summary>
    public void StartServer(string? netnsPath, uint ip, bool echoPeer, params int[] ports)
    {
        var psi = new ProcessStartInfo("timeout")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("120");
        if (netnsPath is not null)
        {
            psi.ArgumentList.Add("nsenter");
            psi.ArgumentList.Add($"--net={netnsPath}");
        }

        psi.ArgumentList.Add("python3");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(ServerScript);
        psi.ArgumentList.Add(Ipv4.Format(ip));
        psi.ArgumentList.Add(echoPeer ? "peer" : "port");
        foreach (int p in ports)
        {
            psi.ArgumentList.Add(p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var process = Process.Start(psi)!;
        _servers.Add(process);
        Task<string?> ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result != "ready")
        {
            throw new InvalidOperationException($"test server did not start: {process.StandardError.ReadToEnd()}");
        }
    }

    /// <summary>
    /// A stand-in for "the outside world" that is still a namespace this test owns: netns "o&lt;hex&gt;" joined to the
    /// host by its own veth (not on the bridge), 10.251.N.0/24 with the host at .1 and the outside at .2. Traffic
    /// from envs to it is routed out of a non-bridge interface, so it is masqueraded like real egress.
    /// </summary>
    public OutsideNet AddOutside()
    {
        string id = "o" + NetTestNames.Hex();
        string path = Netns.Create(id);
        string hostIf = "dso" + NetTestNames.Hex();
        uint net = Ipv4Cidr.Parse($"10.251.{Random.Shared.Next(1, 255)}.0/24").Network;
        var outside = new OutsideNet(id, path, hostIf, net + 1, net + 2);
        _outsides.Add(outside);
        using (var netlink = Netlink.Open())
        {
            netlink.CreateVethPair(hostIf, "eth0", path);
            netlink.AddIPv4Address(hostIf, outside.HostIp, 24);
            netlink.SetUp(hostIf);
        }

        using var inside = Netlink.OpenInNetns(path);
        inside.AddIPv4Address("eth0", outside.Ip, 24);
        inside.SetUp("eth0");
        return outside;
    }

    /// <summary>Gives the outside namespace a route to the env subnet via the host (for inbound tests).</summary>
    public void RouteOutsideToEnvs(OutsideNet outside) =>
        RunChecked("nsenter", $"--net={outside.NetnsPath}", "ip", "route", "add", Subnet.ToString(), "via", Ipv4.Format(outside.HostIp));

    private static void RunChecked(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"{file} timed out");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    /// <summary>Connects from inside <paramref name="from"/> (or the host when null); the server's reply or null.</summary>
    public static string? TryConnect(LabEnv? from, uint ip, int port, int timeoutMs = 1500)
    {
        return from is null
            ? ConnectHere(new IPEndPoint(new IPAddress(ToBytes(ip)), port), timeoutMs)
            : NetnsThread.Run(from.NetnsPath, () => ConnectHere(new IPEndPoint(new IPAddress(ToBytes(ip)), port), timeoutMs), "test connect");
    }

    public static string? ConnectHere(IPEndPoint endpoint, int timeoutMs)
    {
        // The socket is created on the calling thread, so inside NetnsThread it belongs to the env's namespace.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            socket.ConnectAsync(endpoint, cts.Token).AsTask().GetAwaiter().GetResult();
            socket.ReceiveTimeout = timeoutMs;
            var buffer = new byte[64];
            int n = socket.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n).Trim();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        foreach (Process server in _servers)
        {
            try
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                    server.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            server.Dispose();
        }

        var problems = new List<string>();
        void Try(string what, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                problems.Add($"{what}: {e.Message}");
            }
        }

        foreach (LabEnv env in _envs)
        {
            Try($"detach {env.Id}", () => BridgeNetwork.Detach(env.Id));
            Try($"delete netns {env.Id}", () => Netns.Delete(env.Id));
        }

        foreach (OutsideNet outside in _outsides)
        {
            Try($"delete {outside.HostInterface}", () =>
            {
                using var netlink = Netlink.Open();
                netlink.TryDeleteLink(outside.HostInterface);
            });
            Try($"delete netns {outside.Id}", () => Netns.Delete(outside.Id));
        }

        Try("nft down", Firewall.Down);
        Try("delete bridge", () => Network.DeleteBridge());
        Try("release netns dir", () =>
        {
            Netns.ReleaseDirectory();
            string parent = Path.GetDirectoryName(Netns.Directory)!;
            if (Directory.Exists(parent))
            {
                Directory.Delete(parent);
            }
        });
        if (_ipForwardBefore == "0")
        {
            Try("restore ip_forward", () => _sysctl.Ensure("net/ipv4/ip_forward", "0"));
        }

        if (_redirectsBefore == "1")
        {
            Try("restore send_redirects", () => _sysctl.Ensure("net/ipv4/conf/all/send_redirects", "1"));
        }

        foreach (string p in problems)
        {
            _output.WriteLine("cleanup: " + p);
        }
    }

    /// <summary>Asserts nothing of this lab is left on the host.</summary>
    public void AssertGone()
    {
        using var netlink = Netlink.Open();
        Assert.Null(netlink.TryGetLink(BridgeName));
        foreach (LabEnv env in _envs)
        {
            Assert.Null(netlink.TryGetLink(BridgeNetwork.HostInterfaceName(env.Id)));
        }

        foreach (OutsideNet outside in _outsides)
        {
            Assert.Null(netlink.TryGetLink(outside.HostInterface));
        }

        Assert.False(Directory.Exists(Netns.Directory), $"{Netns.Directory} still exists");
        Assert.False(Firewall.Exists(), $"nft table {Firewall.Config.TableName} still exists");
    }

    private static byte[] ToBytes(uint ip) => [(byte)(ip >> 24), (byte)(ip >> 16), (byte)(ip >> 8), (byte)ip];
}

/// <summary>One env of a <see cref="NetLab"/>.</summary>
internal sealed record LabEnv(string Id, string NetnsPath, uint Ip)
{
    public EnvFirewallSpec Spec { get; set; } = new(Id, Ip);
}

/// <summary>The test's stand-in for the outside world (see <see cref="NetLab.AddOutside"/>).</summary>
internal sealed record OutsideNet(string Id, string NetnsPath, string HostInterface, uint HostIp, uint Ip);
