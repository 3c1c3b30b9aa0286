using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Storage;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Names;
using DevShell.Linux.Net.Nft;

namespace DevShell.Linux.Launch.Parts;

/// <summary>Names of the host-wide network objects; tests use their own so they never touch a real devshell0.</summary>
public sealed record NetworkNames(string Bridge, string Table, string RunDir)
{
    public string NetnsDir => Path.Combine(RunDir, "netns");
    public string HostsFile => Path.Combine(RunDir, "hosts");
    public string ResolvConf => Path.Combine(RunDir, "resolv.conf");

    public static NetworkNames From(IReadOnlyDictionary<string, string?> env, string runDir) => new(
        env.TryGetValue("DEVSHELL_BRIDGE", out var b) && !string.IsNullOrEmpty(b) ? b : BridgeNetwork.DefaultBridgeName,
        env.TryGetValue("DEVSHELL_NFT_TABLE", out var t) && !string.IsNullOrEmpty(t) ? t : NftTableConfig.DefaultTableName,
        runDir);
}

/// <summary>
/// Bridged networking (network.mode = bridge): an address from IPAM, a persistent netns named after the session,
/// a veth into the DevShell bridge (eth0 inside), the env's firewall chain (egress policy, peers, published
/// ports) and its names in the shared hosts file. The subnet is chosen once (clear of host routes) and kept in
/// the store. Teardown removes all of it by session id, in reverse.
/// </summary>
public sealed class NetworkPart : IEnvironmentPart
{
    private readonly DevShellStore _store;
    private readonly NetworkNames _names;
    private readonly Lazy<Ipv4Cidr> _subnet;
    private readonly NetnsManager _netns;

    public NetworkPart(DevShellStore store, NetworkNames names)
    {
        _store = store;
        _names = names;
        _netns = new NetnsManager(names.NetnsDir);
        _subnet = new(() => Ipv4Cidr.Parse(store.GetOrAddMeta(SubnetKey,
            BridgeNetwork.PickSubnet(ownBridge: names.Bridge).ToString())));
    }

    private string SubnetKey => "network.subnet:" + _names.Bridge;

    public string Name => "network";

    public Ipv4Cidr Subnet => _subnet.Value;

    /// <summary>
    /// The DevShell table. Only a launch needs the subnet (for the masquerade rule), so reading, removing per-env
    /// elements and deleting the table never choose one: gc and net down work for a database that never ran a
    /// bridged env, even when every candidate subnet is taken by other bridges.
    /// </summary>
    public NftFirewall Firewall => new(new NftTableConfig(_names.Table, _names.Bridge,
        _subnet.IsValueCreated ? _subnet.Value : _store.GetMeta(SubnetKey) is string stored ? Ipv4Cidr.Parse(stored) : default));

    public void Prepare(EnvContext env)
    {
        var net = env.Profile.Network;
        if (net.Mode != "bridge") return;
        var lease = _store.AllocateIp(env.SessionId, Subnet, staticIp: net.Ip);
        env.Ip = lease.Ip;
        env.Phase?.Invoke("ipam");
        env.NetnsPath = _netns.Create(env.SessionId);
        env.Phase?.Invoke("netns");
        var bridge = new BridgeNetwork(Subnet, _names.Bridge);
        bridge.EnsureBridge();
        if (!Ipv4.TryParse(lease.Ip, out uint address)) throw new InvalidOperationException($"IPAM returned a bad address \"{lease.Ip}\"");
        var attachment = bridge.Attach(env.SessionId, env.NetnsPath, address);
        env.Veth = attachment.HostInterface;
        env.Phase?.Invoke("veth");

        var peers = PeerAddresses(env.SessionId);
        var spec = FirewallSpec(env.SessionId, env.Profile, address, peers);
        var config = Firewall.Config;
        // One batch: base chains (idempotent, env elements kept) plus this env's chain, counter and ports.
        new NftRunner().Apply(NftRuleset.Setup(config) + NftRuleset.AddEnv(config, spec), $"adding firewall rules of env {env.SessionId}");
        env.Phase?.Invoke("nft");
        RefreshPeersThatAllow(env.Profile.Name, env.SessionId, address);

        peers[env.Profile.Name] = address;
        WriteHosts(extra: new HostsEntry(address, env.Profile.Name, env.SessionId));
        env.HostsFile = _names.HostsFile;
        if (!File.Exists(_names.ResolvConf)) File.WriteAllText(_names.ResolvConf, ResolvConf.ForEnvFromHost(Subnet.Gateway));
        env.ResolvConf = _names.ResolvConf;
        env.Phase?.Invoke("names");
    }

    public bool Teardown(string sessionId)
    {
        bool clean = true;
        if (Directory.Exists(_names.RunDir) || _store.ListLeases().Any(l => l.SessionId == sessionId))
        {
            try
            {
                Firewall.RemoveEnv(sessionId);
            }
            catch (NftException)
            {
                clean = false;
            }
        }
        BridgeNetwork.Detach(sessionId);
        _netns.Delete(sessionId);
        _store.ReleaseIp(sessionId);
        if (File.Exists(_names.HostsFile)) WriteHosts(extra: null, without: sessionId);
        return clean;
    }

    /// <summary>devshell net down: removes the table, the bridge, the resolv/hosts files. Only with no bridged env running.</summary>
    public IReadOnlyList<string> Down()
    {
        var done = new List<string>();
        var firewall = Firewall;
        if (firewall.Exists())
        {
            firewall.Down();
            done.Add($"deleted nft table inet {_names.Table}");
        }
        if (new BridgeNetwork(firewall.Config.Subnet, _names.Bridge).DeleteBridge()) done.Add($"deleted bridge {_names.Bridge}");
        foreach (var f in new[] { _names.HostsFile, _names.ResolvConf })
        {
            if (File.Exists(f))
            {
                File.Delete(f);
                done.Add($"removed {f}");
            }
        }
        if (_netns.ReleaseDirectory()) done.Add($"released {_names.NetnsDir}");
        return done;
    }

    public IEnumerable<string> FindSessions()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in _netns.List()) ids.Add(id);
        foreach (var id in VethsOnOurBridge()) ids.Add(id);
        foreach (var lease in _store.ListLeases()) ids.Add(lease.SessionId);
        try
        {
            foreach (var e in Firewall.ListEnvElements()) ids.Add(e.SessionId);
        }
        catch (NftException)
        {
        }
        return ids;
    }

    /// <summary>Session ids of "ds-*" veths whose master is this part's bridge (another bridge's are not ours).</summary>
    private List<string> VethsOnOurBridge()
    {
        using var netlink = Netlink.Open();
        var links = netlink.ListLinks();
        var bridge = links.FirstOrDefault(l => l.Name == _names.Bridge);
        if (bridge is null) return [];
        return links.Where(l => l.MasterIndex == bridge.Index && l.Name.StartsWith(BridgeNetwork.HostInterfacePrefix, StringComparison.Ordinal))
            .Select(l => l.Name[BridgeNetwork.HostInterfacePrefix.Length..]).ToList();
    }

    /// <summary>The firewall view of an env from its profile.</summary>
    public static EnvFirewallSpec FirewallSpec(string sessionId, Profile profile, uint address, IReadOnlyDictionary<string, uint> peers)
    {
        var egress = profile.Network.Egress;
        var allow = new List<EgressRule>();
        foreach (var text in egress.Allow)
        {
            if (EgressRule.TryParse(text, out var rule, out _) && rule is not null) allow.Add(rule);
        }
        var ports = new List<PortMapping>();
        foreach (var text in profile.Network.Ports)
        {
            if (PortMapping.TryParse(text, out var mapping, out _)) ports.Add(mapping);
        }
        return new EnvFirewallSpec(sessionId, address)
        {
            Egress = egress.Policy switch { "none" => EgressPolicy.None, "allow" => EgressPolicy.Allow, _ => EgressPolicy.All },
            Peers = egress.Peers == "isolated" ? PeerPolicy.Isolated : PeerPolicy.Shared,
            Allow = allow,
            PeerAddresses = peers,
            Ports = ports,
        };
    }

    /// <summary>Profile name → address of each running bridged env (the newest session of a profile wins).</summary>
    private Dictionary<string, uint> PeerAddresses(string? except)
    {
        var result = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var s in _store.ListActiveSessions().OrderBy(s => s.StartedAt))
        {
            if (s.Id == except || s.Ip is null || !Ipv4.TryParse(s.Ip, out uint a)) continue;
            result[s.Profile] = a;
        }
        return result;
    }

    /// <summary>Envs already running whose allow list names the profile that just started get its address now.</summary>
    private void RefreshPeersThatAllow(string profileName, string sessionId, uint address)
    {
        foreach (var s in _store.ListActiveSessions())
        {
            if (s.Id == sessionId || s.Ip is null || !Ipv4.TryParse(s.Ip, out uint own)) continue;
            var profile = _store.Get(s.Profile);
            if (profile is null || !profile.Network.Egress.Allow.Any(a => a.StartsWith(profileName + EgressRule.PeerSuffix, StringComparison.Ordinal))) continue;
            var before = PeerAddresses(s.Id);
            before.Remove(profileName);
            var after = new Dictionary<string, uint>(before) { [profileName] = address };
            Firewall.ReplaceEnv(FirewallSpec(s.Id, profile, own, before), FirewallSpec(s.Id, profile, own, after));
        }
    }

    private void WriteHosts(HostsEntry? extra, string? without = null)
    {
        var entries = new List<HostsEntry>();
        foreach (var s in _store.ListActiveSessions())
        {
            if (s.Id == without || s.Ip is null || !Ipv4.TryParse(s.Ip, out uint a)) continue;
            entries.Add(new HostsEntry(a, s.Profile, s.Id));
        }
        if (extra is { } e && !entries.Any(x => x.SessionId == e.SessionId)) entries.Add(e);
        Directory.CreateDirectory(_names.RunDir);
        HostsFile.Write(entries, _names.HostsFile);
    }
}
