using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// A client that keeps sending to a published UDP port reaches the env that publishes it now, not the one whose
/// NAT its conntrack entry remembers (the launch drops the port's entries). Traffic: host loopback and test netns only.
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class PublishedUdpConntrackTests(ITestOutputHelper output)
{
    private const int Port = 18961;

    [Fact]
    public void A_client_still_sending_to_a_published_UDP_port_reaches_the_env_that_publishes_it_now()
    {
        if (!Requires.Root(output) || !Requires.Command("nft", output, "apt-get install nftables")
            || !Requires.Command("python3", output) || !Requires.Command("nsenter", output, "apt-get install util-linux"))
        {
            return;
        }

        using var lab = new PartLab(output);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Client.ReceiveTimeout = 1500;

        var first = lab.Start(PartLab.Profile("dns", n => n.Ports = [$"{Port}:53/udp"]));
        using (Server(first.NetnsPath!, "first"))
        {
            Assert.Equal("first", Ask(client));
        }

        lab.Stop(first.SessionId);

        // The first env's address goes to an env without a server, so a packet that still follows the old entry gets
        // no answer (instead of reaching the new env by chance of the same address).
        var squatter = lab.Start(PartLab.Profile("squatter"));
        Assert.Equal(first.Ip, squatter.Ip);
        var second = lab.Start(PartLab.Profile("dns", n => n.Ports = [$"{Port}:53/udp"]));
        using (Server(second.NetnsPath!, "second"))
        {
            Assert.Equal("second", Ask(client)); // same client socket, same conntrack tuple as before
        }
    }

    private static string? Ask(UdpClient client)
    {
        client.Send("?"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, Port));
        try
        {
            IPEndPoint? from = null;
            return Encoding.ASCII.GetString(client.Receive(ref from));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>A UDP server on port 53 inside the netns that answers every datagram with <paramref name="name"/>.</summary>
    private ServerProcess Server(string netnsPath, string name)
    {
        var start = new ProcessStartInfo("nsenter", [$"--net={netnsPath}", "python3", "-c",
            "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',53))\nprint('ready',flush=True)\n"
            + "while True:\n  d,a=s.recvfrom(100)\n  s.sendto(sys.argv[1].encode(),a)\n", name])
        {
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(10_000) || ready.Result != "ready")
        {
            process.Kill();
            process.WaitForExit(5000);
            throw new InvalidOperationException($"the UDP server in {netnsPath} did not start");
        }

        output.WriteLine($"server {name} pid {process.Id}");
        return new ServerProcess(process);
    }

    private sealed class ServerProcess(Process process) : IDisposable
    {
        public void Dispose()
        {
            process.Kill();
            process.WaitForExit(5000);
            process.Dispose();
        }
    }
}
