using System.Globalization;
using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Storage;
using DevShell.Linux.Interop;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Names;
using DevShell.Linux.Net.Nft;

namespace DevShell.Linux.Launch.Parts;

/// <summary>
/// Names of the host-wide network objects; tests and benchmarks use their own so they never touch a real devshell0.
/// <paramref name="Subnet"/> (DEVSHELL_SUBNET) pins the bridge subnet instead of picking the first free candidate.
/// </summary>
public sealed record NetworkNames(string Bridge, string Table, string RunDir, Ipv4Cidr? Subnet = null)
{
    public string NetnsDir => Path.Combine(RunDir, "netns");
    public string HostsFile => Path.Combine(RunDir, "hosts");
    public string ResolvConf => Path.Combine(RunDir, "resolv.conf");
    public string Registry => Path.Combine(RunDir, "envs");

    public static NetworkNames From(IReadOnlyDictionary<string, string?> env, string runDir) => new(
        env.TryGetValue("DEVSHELL_BRIDGE", out var b) && !string.IsNullOrEmpty(b) ? b : BridgeNetwork.DefaultBridgeName,
        env.TryGetValue("DEVSHELL_NFT_TABLE", out var t) && !string.IsNullOrEmpty(t) ? t : NftTableConfig.DefaultTableName,
        runDir,
        env.TryGetValue("DEVSHELL_SUBNET", out var n) && !string.IsNullOrEmpty(n) ? ParseSubnet(n) : null);

    private static Ipv4Cidr ParseSubnet(string text)
    {
        if (!Ipv4Cidr.TryParse(text, out var cidr, out string problem))
        {
            throw new ArgumentException($"DEVSHELL_SUBNET \"{text}\" {problem}");
        }

        return cidr.PrefixLength is >= 8 and <= 30
            ? cidr
            : throw new ArgumentException($"DEVSHELL_SUBNET \"{text}\" needs a prefix length of 8..30 (use e.g. 10.236.0.0/24)");
    }
}

/// <summary>
/// Bridged networking (network.mode = bridge): an address from IPAM, a persistent netns named after the session,
/// a veth into the DevShell bridge (eth0 inside), the env's firewall chain (egress policy, peers, published
/// ports) and its names in the shared hosts file. The subnet is chosen once (clear of host routes) and kept in
/// the store. Teardown removes all of it by session id, in reverse.
/// <para>
/// Cost. Besides IPAM (a store write) a launch reads no store records: peers, names and who allows whom come from
/// the env registry (<see cref="EnvRegistry"/>, one small locked file in the run dir), the firewall's base chains
/// are checked with one netlink lookup (<see cref="NftFirewall.EnsureUp"/>) instead of being rewritten, the env's
/// netns is configured through the socket its creating thread opened, and the veth is made in one request with its
/// bridge, MTU and GSO size. A teardown removes the env's rules from the registry's record of them (no table listing)
/// and an env that never had a bridged network costs two file checks.
/// </para>
/// </summary>
public sealed class NetworkPart : IEnvironmentPart
{
    private readonly Lazy<DevShellStore> _opened;
    private readonly NetworkNames _names;
    private readonly Lazy<Ipv4Cidr> _subnet;
    private readonly NetnsManager _netns;
    private readonly HashSet<string> _leaseOnly = new(StringComparer.Ordinal);
    private readonly HashSet<string> _found = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BegunNetns> _begun = new(StringComparer.Ordinal);

    public NetworkPart(DevShellStore store, NetworkNames names)
        : this(() => store, names)
    {
    }

    /// <summary>
    /// A part that opens the store on first use: a launch without a bridged network never needs it (its records go
    /// through the store's outbox), and opening it costs a fresh process a unit of work.
    /// </summary>
    public NetworkPart(Func<DevShellStore> store, NetworkNames names)
    {
        _opened = new(store);
        _names = names;
        _netns = new NetnsManager(names.NetnsDir);
        _subnet = names.Subnet is { } pinned
            ? new(() => pinned)
            : new(() => Ipv4Cidr.Parse(
                // A read once the subnet is chosen; choosing it (reading the host's routes) and the write only once.
                Store.GetMeta(SubnetKey) ?? Store.GetOrAddMeta(SubnetKey, BridgeNetwork.PickSubnet(ownBridge: names.Bridge).ToString())));
    }

    private DevShellStore Store => _opened.Value;

    private string SubnetKey => "network.subnet:" + _names.Bridge;

    public string Name => "network";

    public Ipv4Cidr Subnet => _subnet.Value;

    /// <summary>
    /// The DevShell table. Only a launch needs the subnet (for the masquerade rule), so reading, removing per-env
    /// elements and deleting the table never choose one: gc and net down work for a database that never ran a
    /// bridged env, even when every candidate subnet is taken by other bridges.
    /// </summary>
    public NftFirewall Firewall => FirewallWith(
        _subnet.IsValueCreated || _names.Subnet is not null ? _subnet.Value : Store.GetMeta(SubnetKey) is string stored ? Ipv4Cidr.Parse(stored) : default);

    /// <summary>The table for per-env changes, which do not depend on the subnet (no store read).</summary>
    private NftFirewall EnvFirewall => FirewallWith(_subnet.IsValueCreated || _names.Subnet is not null ? _subnet.Value : default);

    private NftFirewall FirewallWith(Ipv4Cidr subnet) => new(new NftTableConfig(_names.Table, _names.Bridge, subnet));

    /// <summary>
    /// IPAM: the env's address (the subnet too, on the first bridged launch), leased in the launch's store unit before
    /// the spawn, which its Starting record shares: no store unit of its own.
    /// </summary>
    public void Reserve(EnvContext env)
    {
        var net = env.Profile.Network;
        if (net.Mode != "bridge") return;
        env.Ip = Store.AllocateIp(env.SessionId, Subnet, staticIp: net.Ip).Ip;
    }

    /// <summary>
    /// The env's network namespace needs no address: it is made while the launch's store unit takes the lease, on the
    /// thread that then spawns stage two (<see cref="OnSpawnThread"/>), so that the namespace file is mounted before
    /// stage two's copy of the mount table is taken. Here only its path is named (stage two's flags depend on it).
    /// </summary>
    public void Begin(EnvContext env)
    {
        if (env.Profile.Network.Mode != "bridge") return;
        lock (_begun) _begun[env.SessionId] = new BegunNetns();
        env.NetnsPath = _netns.PathOf(env.SessionId);
    }

    /// <summary>
    /// Makes the namespace Begin named, on the calling (spawning) thread, which stays in it: stage two is then born in
    /// it. If Prepare or Teardown got to it first, waits for what they did instead. A failure is Prepare's to report.
    /// </summary>
    public void OnSpawnThread(EnvContext env)
    {
        BegunNetns? begun;
        lock (_begun)
        {
            if (!_begun.TryGetValue(env.SessionId, out begun)) return;
        }
        if (begun.Claim()) begun.Make(() => (_netns.CreateOnThisThread(env.SessionId, out Netlink inside), inside));
        else begun.Wait();
    }

    /// <summary>
    /// The namespace begun for the session: made by the spawning thread (waited for), or by the caller here when that
    /// thread has not claimed it (a caller without one); null when none was begun, or when nobody made it and
    /// <paramref name="make"/> is false (a teardown: nothing to wait for).
    /// </summary>
    private (string Path, Netlink Inside)? TakeBegun(string sessionId, bool make)
    {
        BegunNetns? begun;
        lock (_begun)
        {
            if (!_begun.TryGetValue(sessionId, out begun)) return null;
        }
        try
        {
            if (begun.Claim())
            {
                if (!make)
                {
                    begun.Abandon();
                    return null;
                }
                begun.Make(() => (_netns.Create(sessionId, out Netlink inside), inside));
            }
            return begun.Result();
        }
        finally
        {
            // Only once it is made (or abandoned): a spawning thread that comes later finds nothing to wait for.
            lock (_begun) _begun.Remove(sessionId);
        }
    }

    /// <summary>A namespace begun for a launch: made once, by whichever thread claims it first; the others wait.</summary>
    private sealed class BegunNetns
    {
        private int _claimed;
        private readonly TaskCompletionSource<(string Path, Netlink Inside)> _made = new();

        public bool Claim() => Interlocked.Exchange(ref _claimed, 1) == 0;

        public void Make(Func<(string, Netlink)> make)
        {
            try
            {
                _made.SetResult(make());
            }
            catch (Exception e)
            {
                _made.SetException(e);
            }
        }

        public void Abandon() => _made.SetCanceled();

        /// <summary>Waits until it is made, failed or abandoned, without throwing.</summary>
        public void Wait() => Task.WaitAny(_made.Task);

        public (string Path, Netlink Inside) Result() => _made.Task.GetAwaiter().GetResult();
    }

    public void Prepare(EnvContext env)
    {
        var net = env.Profile.Network;
        if (net.Mode != "bridge") return;
        if (env.Ip is null) Reserve(env); // a caller that did not reserve first
        if (!Ipv4.TryParse(env.Ip, out uint address)) throw new InvalidOperationException($"IPAM returned a bad address \"{env.Ip}\"");

        Netlink inside;
        if (TakeBegun(env.SessionId, make: true) is { } begun) (env.NetnsPath, inside) = begun;
        else env.NetnsPath = _netns.Create(env.SessionId, out inside);
        env.Phase?.Invoke("netns");
        using (inside)
        {
            var bridge = new BridgeNetwork(Subnet, _names.Bridge);
            bridge.EnsureBridge();
            env.Veth = bridge.Attach(env.SessionId, env.NetnsPath, address, inside).HostInterface;
        }

        env.Phase?.Invoke("veth");

        // Under the registry's lock: the peers this env may name, its rules, its entry and the names every env sees
        // change together, so two envs starting at once each see the other.
        var entry = EnvEntry.From(env.SessionId, address, env.Profile);
        var firewall = FirewallWith(Subnet);
        using (var registry = EnvRegistry.Open(_names.Registry))
        {
            ThrowIfPortPublished(registry, entry);
            firewall.EnsureUp();
            var spec = entry.FirewallSpec(registry.PeerAddresses(except: env.SessionId));
            firewall.AddEnv(spec);
            // Entries of a client still sending to a published UDP port keep their old NAT (a previous env, or none):
            // dropped, its next packet takes this env's rule. TCP needs nothing: a new connection is a new entry.
            foreach (var port in spec.Ports.Where(p => p.Protocol == Protocol.Udp))
            {
                Conntrack.FlushUdpToLoopback(port.HostPort);
            }

            env.Phase?.Invoke("nft");
            var before = registry.PeerAddresses();
            registry.Add(entry);
            RefreshPeersThatAllow(registry, firewall, entry.Profile, before);
            registry.Save();
            HostsFile.Write(registry.HostsEntries(), _names.HostsFile);
        }

        env.HostsFile = _names.HostsFile;
        if (!File.Exists(_names.ResolvConf)) File.WriteAllText(_names.ResolvConf, ResolvConf.ForEnvFromHost(Subnet.Gateway));
        env.ResolvConf = _names.ResolvConf;
        env.Phase?.Invoke("names");
    }

    /// <summary>
    /// Removes the env's network by session id: its namespace file (with which the kernel deletes the veth, see
    /// <see cref="VethGoneWithNetns"/>), then its rules and names; when this returns none of them, nor the veth, remains
    /// (a veth whose namespace is still held is deleted after <see cref="VethGrace"/>). The IP lease is released here only for an orphan that
    /// gc found (<see cref="FindSessions"/>): the launcher's journal and gc's reaper release the lease of a session they
    /// end in the same store write as its ended record, after this returns.
    /// </summary>
    public bool Teardown(string sessionId) => Teardown(sessionId, awaitVeth: true);

    /// <summary>
    /// As <see cref="Teardown(string)"/>, without waiting for the veth: with PID 1 reaped and the namespace file
    /// unmounted, nothing holds the namespace, and the kernel deletes it and its devices in a worker (cleanup_net). That
    /// takes an RCU grace period and more: 2–14 ms here, ~6 ms in the median, which every bridged `devshell run` waited
    /// for before it could exit. The lease is released with the session's end record (queued in the store's outbox,
    /// applied by a later unit of another command), by which time the veth is gone. A namespace still held by some
    /// other process (entered from outside) keeps its veth: gc finds the veth on the bridge and deletes it.
    /// </summary>
    public bool TeardownEnded(string sessionId) => Teardown(sessionId, awaitVeth: false);

    private bool Teardown(string sessionId, bool awaitVeth)
    {
        try
        {
            // A namespace begun for a launch that failed before Prepare: let it finish, so that it is gone below.
            TakeBegun(sessionId, make: false)?.Inside.Dispose();
        }
        catch (Exception e) when (e is SyscallException or IOException or UnauthorizedAccessException)
        {
            // It was not made (and Create left nothing behind).
        }

        bool hasNetns = _netns.Exists(sessionId);
        bool clean = TeardownExceptVeth(sessionId, hasNetns, vethGoesWithNetns: hasNetns);
        return hasNetns && awaitVeth ? VethGoneWithNetns(sessionId, VethGrace) && clean : clean;
    }

    /// <summary>How long <see cref="VethGoneWithNetns"/> waits for the kernel before it deletes the veth itself.</summary>
    internal static readonly TimeSpan VethGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Waits until the env's veth is gone with its namespace, deleting it after <paramref name="grace"/>; true when it is
    /// gone. With the namespace file unmounted and PID 1 reaped, nothing holds the env's network namespace: the kernel
    /// destroys it in a worker (cleanup_net) and deletes its devices, and eth0 takes its host end ds-ID along. The host
    /// end is unlisted ~0.5 ms after the unmount here. A deletion from this process (RTM_DELLINK) would instead return
    /// only after the kernel's rcu_barrier (~20 ms on this VM), and a process cannot exit while one of its threads
    /// waits in it: every bridged `devshell run` paid that at its exit. A namespace still held (a process that entered
    /// it, an open descriptor) keeps its veth: then the link is deleted here after the grace period.
    /// </summary>
    internal static bool VethGoneWithNetns(string sessionId, TimeSpan grace, string sysClassNet = "/sys/class/net")
    {
        string listed = Path.Combine(sysClassNet, BridgeNetwork.HostInterfaceName(sessionId));
        long deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (Directory.Exists(listed))
        {
            if (Environment.TickCount64 >= deadline)
            {
                BridgeNetwork.Detach(sessionId);
                return !Directory.Exists(listed);
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private bool TeardownExceptVeth(string sessionId, bool hasNetns, bool vethGoesWithNetns)
    {
        bool registered = false, clean = true;
        // The namespace file first: with PID 1 reaped, its unmount lets the kernel start destroying the namespace (and
        // the veth with it, see VethGoneWithNetns) while the rules and names go. gc still finds the session by them.
        SyscallException? unmountFailed = null;
        try
        {
            if (vethGoesWithNetns) _netns.Delete(sessionId);
        }
        catch (SyscallException e)
        {
            unmountFailed = e; // reported once the rules and names are gone
        }
        // The unlocked read only decides whether to look: an env with a namespace always takes the lock.
        if (hasNetns || EnvRegistry.ReadSessionIds(_names.Registry).Contains(sessionId, StringComparer.Ordinal))
        {
            using var registry = EnvRegistry.Open(_names.Registry);
            if (registry.Find(sessionId) is { } entry)
            {
                registered = true;
                var firewall = EnvFirewall;
                var before = registry.PeerAddresses();
                try
                {
                    firewall.RemoveEnv(entry.FirewallSpec(before));
                }
                catch (NftException)
                {
                    clean = false;
                }

                registry.Remove(sessionId);
                RefreshPeersThatAllow(registry, firewall, entry.Profile, before);
                registry.Save();
                if (File.Exists(_names.HostsFile)) HostsFile.Write(registry.HostsEntries(), _names.HostsFile);
            }
        }

        if (!registered && !hasNetns)
        {
            // Never bridged (or it failed before its namespace): nothing of ours but perhaps an IP lease. The
            // launcher's journal and gc's reaper release the leases of the sessions they end; gc's orphans are here.
            if (_leaseOnly.Remove(sessionId)) Store.ReleaseIp(sessionId);
            return true;
        }

        if (!registered)
        {
            // A launch that died between its namespace and its registry entry: find its rules by listing the table.
            try
            {
                EnvFirewall.RemoveEnv(sessionId);
            }
            catch (NftException)
            {
                clean = false;
            }
        }

        if (!vethGoesWithNetns)
        {
            BridgeNetwork.Detach(sessionId);
            _netns.Delete(sessionId);
        }
        // The lease of an env the launcher or gc's reaper ends goes with its ended record (one store write, after this
        // returns: the address is never handed out while the old veth exists). Only an orphan gc found here
        // (FindSessions: objects without an active session) has nobody else to release it.
        if (_found.Remove(sessionId)) Store.ReleaseIp(sessionId);
        if (unmountFailed is not null) throw unmountFailed;
        return clean;
    }

    /// <summary>devshell net down: removes the table, the bridge, the resolv/hosts files. Only with no bridged env running.</summary>
    public IReadOnlyList<string> Down()
    {
        var done = new List<string>();
        var firewall = EnvFirewall;
        if (firewall.Exists())
        {
            firewall.Down();
            done.Add($"deleted nft table inet {_names.Table}");
        }

        using (var netlink = Netlink.Open())
        {
            if (netlink.TryGetLink(_names.Bridge) is { Kind: "bridge" } && netlink.TryDeleteLink(_names.Bridge))
            {
                done.Add($"deleted bridge {_names.Bridge}");
            }
        }

        if (EnvRegistry.Delete(_names.Registry)) done.Add($"removed {_names.Registry}");
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
        foreach (var id in EnvRegistry.ReadSessionIds(_names.Registry)) ids.Add(id);
        try
        {
            foreach (var e in EnvFirewall.ListEnvElements()) ids.Add(e.SessionId);
        }
        catch (NftException)
        {
        }

        _found.Clear();
        _found.UnionWith(ids);
        _leaseOnly.Clear();
        foreach (var lease in Store.ListLeases())
        {
            if (ids.Add(lease.SessionId)) _leaseOnly.Add(lease.SessionId);
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

    /// <summary>Exit code of a launch refused because a host port is taken (ExitCodes.Conflict of the CLI's table).</summary>
    public const int PortConflictExitCode = 4;

    /// <summary>
    /// Refuses a launch whose profile publishes a host port another running env publishes (the kernel would refuse
    /// the map element with a bare "File exists"), naming the port, the env that holds it and the two ways out.
    /// </summary>
    private static void ThrowIfPortPublished(EnvRegistry registry, EnvEntry entry)
    {
        if (registry.FindPublishedConflict(entry) is not var (text, mapping, owner)) return;
        string port = string.Create(CultureInfo.InvariantCulture, $"{mapping.HostPort}/{(mapping.Protocol == Protocol.Udp ? "udp" : "tcp")}");
        string holder = owner.Profile == entry.Profile ? "another env of this profile" : $"profile \"{owner.Profile}\"";
        throw new LaunchException(
            $"profile \"{entry.Profile}\": network.ports \"{text}\" publishes host port {port}, which session {owner.SessionId} ({holder}) "
            + $"already publishes; stop that env (devshell stop {owner.SessionId}) or publish another host port in profile \"{entry.Profile}\"",
            PortConflictExitCode);
    }

    /// <summary>The firewall view of an env from its profile.</summary>
    public static EnvFirewallSpec FirewallSpec(string sessionId, Profile profile, uint address, IReadOnlyDictionary<string, uint> peers) =>
        EnvEntry.From(sessionId, address, profile).FirewallSpec(peers);

    /// <summary>
    /// Running envs whose allow list names <paramref name="profile"/> get its current address (the newest env of that
    /// profile, or none once the last one stopped), if it changed from <paramref name="before"/>. Their rules are
    /// rebuilt from the registry's record of their launch (the chain is replaced whole, so what it held before does
    /// not matter).
    /// </summary>
    private static void RefreshPeersThatAllow(EnvRegistry registry, NftFirewall firewall, string profile, Dictionary<string, uint> before)
    {
        var after = registry.PeerAddresses();
        if (before.TryGetValue(profile, out uint was) == after.TryGetValue(profile, out uint now) && was == now) return;
        foreach (var e in registry.Entries)
        {
            if (!e.AllowedPeers().Contains(profile, StringComparer.Ordinal)) continue;
            var spec = e.FirewallSpec(registry.PeerAddresses(except: e.SessionId));
            firewall.ReplaceEnv(spec, spec);
        }
    }
}
