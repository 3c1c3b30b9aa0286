using DevShell.Core.Networking;

namespace DevShell.Linux.Net.Nft;

/// <summary>What an env may send (profile network.egress.policy).</summary>
public enum EgressPolicy
{
    /// <summary>Everything is accepted.</summary>
    All,

    /// <summary>Nothing leaves the env (not even to the gateway or other envs); only replies to connections made to it.</summary>
    None,

    /// <summary>Only the destinations in <see cref="EnvFirewallSpec.Allow"/>.</summary>
    Allow,
}

/// <summary>Whether an env may open connections to other envs on the bridge (profile network.egress.peers).</summary>
public enum PeerPolicy
{
    /// <summary>Other envs are reachable (subject to the egress policy: none still blocks them).</summary>
    Shared,

    /// <summary>Other envs are reachable only where an allow rule names them.</summary>
    Isolated,
}

/// <summary>The firewall view of one running env.</summary>
/// <param name="SessionId">1..12 of [a-z0-9-]; names the env's chain and counter.</param>
/// <param name="Address">The env's IPv4 address (host-order value).</param>
public sealed record EnvFirewallSpec(string SessionId, uint Address)
{
    public EgressPolicy Egress { get; init; } = EgressPolicy.All;

    public PeerPolicy Peers { get; init; } = PeerPolicy.Shared;

    /// <summary>
    /// With <see cref="EgressPolicy.Allow"/>: the accepted destinations. A rule without a port covers every
    /// protocol; with a port it covers that protocol (TCP unless it says /udp). "NAME.devshell" rules are looked up
    /// in <see cref="PeerAddresses"/>; a peer that is not running has no address and its rule is left out (apply
    /// the spec again when it starts).
    /// </summary>
    public IReadOnlyList<EgressRule> Allow { get; init; } = [];

    /// <summary>Profile name -> address of its running env, for "NAME.devshell" allow rules.</summary>
    public IReadOnlyDictionary<string, uint> PeerAddresses { get; init; } = new Dictionary<string, uint>();

    /// <summary>Published ports: host 127.0.0.1:HostPort reaches Address:EnvPort.</summary>
    public IReadOnlyList<PortMapping> Ports { get; init; } = [];
}

/// <summary>The table and the bridge it guards.</summary>
/// <param name="TableName">nft table (family inet) name: "devshell" in production, unique in tests.</param>
/// <param name="BridgeName">The DevShell bridge.</param>
/// <param name="Subnet">The env subnet (masqueraded when it leaves through another interface).</param>
public sealed record NftTableConfig(string TableName, string BridgeName, Ipv4Cidr Subnet)
{
    public const string DefaultTableName = "devshell";
}
