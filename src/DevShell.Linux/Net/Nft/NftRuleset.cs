using System.Globalization;
using System.Text;
using DevShell.Core.Networking;

namespace DevShell.Linux.Net.Nft;

/// <summary>
/// Generates the nftables text (for <c>nft -f -</c>) of DevShell's one table, <c>inet devshell</c>. Pure functions.
/// <para>
/// Layout:
/// <list type="bullet">
/// <item>map <c>egress</c> (ipv4_addr : verdict): env address -> <c>jump env-&lt;id&gt;</c>;</item>
/// <item>chain <c>env-&lt;id&gt;</c> per env holding its policy; every drop in it counts into the named counter
/// <c>env-&lt;id&gt;-drop</c>, which the sampler reads to raise "egress_blocked";</item>
/// <item>base chain <c>forward</c> (traffic the host routes: env -> world and env -> env, since env ports are isolated
/// and the host routes between them — see <see cref="BridgeNetwork"/>) and <c>input</c> (env -> the host itself,
/// e.g. the gateway address): replies (established/related) pass, then the source address picks the env's chain;
/// bridge traffic from an unregistered source (including IPv6) is dropped and counted in <c>unregistered-drop</c>;
/// new connections from outside into the bridge are dropped (<c>inbound-drop</c>);</item>
/// <item>map <c>published</c> (proto . port : address . port) used by nat <c>output</c>: locally generated traffic
/// to 127.0.0.1:HOST is DNATed to the env; postrouting masquerades it to the gateway address (needs
/// route_localnet on the bridge) and masquerades the subnet leaving through any other interface.</item>
/// </list>
/// Per-env changes are one atomic batch and touch only that env's chain, counter and map elements. Removal uses
/// "add then delete" so it succeeds whether or not each object is still there (nft 1.0.6 has no "destroy").
/// </para>
/// </summary>
public static class NftRuleset
{
    /// <summary>Counter for bridge traffic whose source is not a registered env.</summary>
    public const string UnregisteredCounter = "unregistered-drop";

    /// <summary>Counter for new connections from outside into the bridge.</summary>
    public const string InboundCounter = "inbound-drop";

    public static string ChainName(string sessionId) => "env-" + sessionId;

    public static string CounterName(string sessionId) => $"env-{sessionId}-drop";

    /// <summary>Names of the marker chains <see cref="Setup"/> leaves in the table start with this.</summary>
    public const string MarkerPrefix = "base-";

    /// <summary>
    /// The empty, never-jumped-to chain whose presence says "the base chains are exactly what <see cref="Setup"/>
    /// writes for <paramref name="c"/>": "base-" plus a hash of that text. A launch looks it up (one netlink request,
    /// <see cref="NftFirewall.EnsureUp"/>) instead of rewriting the base chains every time; a DevShell with other base
    /// rules, or another bridge or subnet, finds no marker of its own and rewrites them.
    /// </summary>
    public static string MarkerChain(NftTableConfig c) => MarkerPrefix + Fnv1a(BaseChains(c)).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>
    /// Creates the table if needed and (re)writes its base chains, leaving env chains, counters and map elements
    /// alone. Idempotent.
    /// </summary>
    public static string Setup(NftTableConfig c) =>
        BaseChains(c) + $"add chain {Table(c)} {MarkerChain(c)}\n";

    /// <summary>Deletes chains by name (stale markers); every one must exist.</summary>
    public static string DeleteChains(NftTableConfig c, IEnumerable<string> chains) =>
        string.Concat(chains.Select(chain => $"delete chain {Table(c)} {chain}\n"));

    private static string BaseChains(NftTableConfig c)
    {
        string t = Table(c);
        string br = Quote(c.BridgeName);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"add table {t}\n");
        s.Append(CultureInfo.InvariantCulture, $"add counter {t} {UnregisteredCounter}\n");
        s.Append(CultureInfo.InvariantCulture, $"add counter {t} {InboundCounter}\n");
        s.Append(CultureInfo.InvariantCulture, $"add map {t} egress {{ type ipv4_addr : verdict; }}\n");
        s.Append(CultureInfo.InvariantCulture, $"add map {t} published {{ type inet_proto . inet_service : ipv4_addr . inet_service; }}\n");
        s.Append(CultureInfo.InvariantCulture, $"add chain {t} forward {{ type filter hook forward priority filter; policy accept; }}\n");
        s.Append(CultureInfo.InvariantCulture, $"add chain {t} input {{ type filter hook input priority filter; policy accept; }}\n");
        s.Append(CultureInfo.InvariantCulture, $"add chain {t} nat-output {{ type nat hook output priority -100; policy accept; }}\n");
        s.Append(CultureInfo.InvariantCulture, $"add chain {t} nat-postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}\n");
        foreach (string chain in new[] { "forward", "input", "nat-output", "nat-postrouting" })
        {
            s.Append(CultureInfo.InvariantCulture, $"flush chain {t} {chain}\n");
        }

        s.Append(CultureInfo.InvariantCulture, $"add rule {t} forward ct state established,related accept\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} forward iifname {br} ip saddr vmap @egress\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} forward iifname {br} counter name {Quote(UnregisteredCounter)} drop\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} forward oifname {br} counter name {Quote(InboundCounter)} drop\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} input iifname {br} ct state established,related accept\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} input iifname {br} ip saddr vmap @egress\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} input iifname {br} counter name {Quote(UnregisteredCounter)} drop\n");
        s.Append(CultureInfo.InvariantCulture,
            $"add rule {t} nat-output ip daddr 127.0.0.1 meta l4proto {{ tcp, udp }} dnat ip to meta l4proto . th dport map @published\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} nat-postrouting ip saddr {c.Subnet} oifname != {br} masquerade\n");
        s.Append(CultureInfo.InvariantCulture, $"add rule {t} nat-postrouting ip saddr 127.0.0.0/8 oifname {br} masquerade\n");
        return s.ToString();
    }

    /// <summary>
    /// Adds (or re-applies) one env: its counter, its chain with the policy rules, its egress map element and its
    /// published ports. Re-applying the same spec is harmless (the chain is flushed and refilled).
    /// </summary>
    public static string AddEnv(NftTableConfig c, EnvFirewallSpec env) => NftOps.Text(TableName(c), AddEnvOps(c, env));

    /// <summary><see cref="AddEnv"/> as operations (for the netlink path).</summary>
    public static IReadOnlyList<NftOp> AddEnvOps(NftTableConfig c, EnvFirewallSpec env)
    {
        BridgeNetwork.CheckSessionId(env.SessionId);
        _ = TableName(c);
        string chain = ChainName(env.SessionId);
        var ops = new List<NftOp>
        {
            new AddCounterOp(CounterName(env.SessionId)),
            new AddChainOp(chain),
            new FlushChainOp(chain),
        };
        ops.AddRange(PolicyRuleModels(c, env).Select(r => new AddRuleOp(chain, r)));
        ops.Add(new AddEgressElementOp(env.Address, chain, env.SessionId));
        ops.AddRange(env.Ports.Select(p => new AddPublishedElementOp(p.Protocol, p.HostPort, env.Address, p.EnvPort, env.SessionId)));
        return ops;
    }

    /// <summary>Removes everything of one env whose spec is known, in one batch that works even if parts are gone.</summary>
    public static string RemoveEnv(NftTableConfig c, EnvFirewallSpec env) => NftOps.Text(TableName(c), RemoveEnvOps(c, env));

    /// <summary><see cref="RemoveEnv"/> as operations.</summary>
    public static IReadOnlyList<NftOp> RemoveEnvOps(NftTableConfig c, EnvFirewallSpec env)
    {
        BridgeNetwork.CheckSessionId(env.SessionId);
        var found = new NftEnvElements(
            env.SessionId,
            env.Address,
            HasChain: true,
            HasCounter: true,
            env.Ports.Select(p => new PublishedElement(p.Protocol, p.HostPort, env.Address, p.EnvPort)).ToList());
        return RemoveElementsOps(c, found, ensureFirst: true);
    }

    /// <summary>Replaces one env's rules (e.g. a changed allow list or ports) in a single atomic batch.</summary>
    public static string ReplaceEnv(NftTableConfig c, EnvFirewallSpec old, EnvFirewallSpec updated) =>
        RemoveEnv(c, old) + AddEnv(c, updated);

    /// <summary><see cref="ReplaceEnv"/> as operations.</summary>
    public static IReadOnlyList<NftOp> ReplaceEnvOps(NftTableConfig c, EnvFirewallSpec old, EnvFirewallSpec updated) =>
        [.. RemoveEnvOps(c, old), .. AddEnvOps(c, updated)];

    /// <summary>Deletes exactly the objects found by a listing (gc of an env whose spec is unknown).</summary>
    public static string RemoveElements(NftTableConfig c, NftEnvElements found, bool ensureFirst = false) =>
        NftOps.Text(TableName(c), RemoveElementsOps(c, found, ensureFirst));

    /// <summary>
    /// <see cref="RemoveElements"/> as operations. With <paramref name="ensureFirst"/> each object is added before
    /// it is deleted, so the batch succeeds whether or not it is still there (nft 1.0.6 has no "destroy").
    /// </summary>
    public static IReadOnlyList<NftOp> RemoveElementsOps(NftTableConfig c, NftEnvElements found, bool ensureFirst = false)
    {
        _ = TableName(c);
        string chain = ChainName(found.SessionId);
        string counter = CounterName(found.SessionId);
        var ops = new List<NftOp>();
        if (ensureFirst)
        {
            ops.Add(new AddCounterOp(counter));
            ops.Add(new AddChainOp(chain));
        }

        if (found.Address is uint address)
        {
            if (ensureFirst)
            {
                ops.Add(new AddEgressElementOp(address, chain, null));
            }

            ops.Add(new DeleteEgressElementOp(address));
        }

        foreach (PublishedElement p in found.Published)
        {
            if (ensureFirst)
            {
                ops.Add(new AddPublishedElementOp(p.Protocol, p.HostPort, p.Address, p.EnvPort, null));
            }

            ops.Add(new DeletePublishedElementOp(p.Protocol, p.HostPort));
        }

        if (found.HasChain)
        {
            ops.Add(new FlushChainOp(chain));
            ops.Add(new DeleteChainOp(chain));
        }

        if (found.HasCounter)
        {
            ops.Add(new DeleteCounterOp(counter));
        }

        return ops;
    }

    /// <summary>Deletes the whole table; succeeds whether or not it exists.</summary>
    public static string Down(NftTableConfig c) => $"add table {Table(c)}\ndelete table {Table(c)}\n";

    /// <summary>The rules of an env's chain (without the "add rule" prefix), in order.</summary>
    public static IReadOnlyList<string> PolicyRules(NftTableConfig c, EnvFirewallSpec env) =>
        PolicyRuleModels(c, env).Select(r => r.ToString()).ToList();

    /// <summary>The rules of an env's chain, in order, as data.</summary>
    public static IReadOnlyList<NftRule> PolicyRuleModels(NftTableConfig c, EnvFirewallSpec env)
    {
        string counter = CounterName(env.SessionId);
        _ = NftOps.Quote(counter);
        var toPeer = new OifNameMatch(c.BridgeName);
        _ = NftOps.Quote(c.BridgeName);
        var rules = new List<NftRule>();
        switch (env.Egress)
        {
            case EgressPolicy.None:
                rules.Add(new NftRule([], counter, Accept: false));
                break;
            case EgressPolicy.All:
                if (env.Peers == PeerPolicy.Isolated)
                {
                    rules.Add(new NftRule([toPeer], counter, Accept: false));
                }

                rules.Add(new NftRule([], null, Accept: true));
                break;
            case EgressPolicy.Allow:
                if (env.Peers == PeerPolicy.Shared)
                {
                    rules.Add(new NftRule([toPeer], null, Accept: true));
                }

                foreach (EgressRule allow in env.Allow)
                {
                    if (AllowRule(allow, env.PeerAddresses) is NftRule rule)
                    {
                        rules.Add(rule);
                    }
                }

                rules.Add(new NftRule([], counter, Accept: false));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(env), env.Egress, "unknown egress policy");
        }

        return rules;
    }

    private static NftRule? AllowRule(EgressRule allow, IReadOnlyDictionary<string, uint> peers)
    {
        DaddrMatch destination;
        if (allow.Network is Ipv4Cidr network)
        {
            destination = new DaddrMatch(network, network.ToString());
        }
        else if (allow.Peer is string peer && peers.TryGetValue(peer, out uint address))
        {
            destination = new DaddrMatch(Ipv4Cidr.Parse(Ipv4.Format(address) + "/32"), Ipv4.Format(address));
        }
        else
        {
            return null;
        }

        return allow.Port is int port
            ? new NftRule([destination, new DportMatch(allow.Protocol, port)], null, Accept: true)
            : new NftRule([destination], null, Accept: true);
    }

    private static uint Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (char ch in text)
        {
            hash = (hash ^ ch) * 16777619;
        }

        return hash;
    }

    private static string Table(NftTableConfig c) => "inet " + TableName(c);

    /// <summary>The table name, checked: 1..64 of a-z, A-Z, 0-9, '_', '-'.</summary>
    internal static string TableName(NftTableConfig c)
    {
        if (c.TableName.Length is 0 or > 64 || !c.TableName.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
        {
            throw new ArgumentException($"nft table name \"{c.TableName}\" must be 1..64 of a-z, A-Z, 0-9, '_', '-'");
        }

        return c.TableName;
    }

    private static string Quote(string s) => NftOps.Quote(s);
}
