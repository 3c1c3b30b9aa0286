using DevShell.Core.Networking;
using DevShell.Linux.Net.Nft;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// A DevShell nft table for one test: a fresh table name, a test bridge name and a test /24 (or the given ones, for
/// twin tables), its base chains written unless <c>up</c> is false. Dispose deletes the table by name, whatever the
/// test did to it.
/// </summary>
internal sealed class TestTable : IDisposable
{
    public TestTable(NftEnvPath? envPath = null, string? bridge = null, Ipv4Cidr? subnet = null, bool up = true)
    {
        Config = new NftTableConfig(NetTestNames.NftTable(), bridge ?? NetTestNames.Bridge(), subnet ?? Ipv4Cidr.Parse(NetTestNames.Subnet24()));
        Firewall = new NftFirewall(Config, envPath: envPath);
        if (!up)
        {
            return;
        }

        try
        {
            Firewall.Up();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NftTableConfig Config { get; }

    public Ipv4Cidr Subnet => Config.Subnet;

    public NftFirewall Firewall { get; }

    /// <summary>Deletes the table (succeeds if it is already gone).</summary>
    public void Dispose() => new NftFirewall(Config).Down();
}
